import pytest
import time_machine
from django.core.cache import cache

from ledger.models import AccountPurpose, TransactionType
from ledger.services import credit
from tests.api import API, client_for
from tests.factories import create_user, wallet

pytestmark = pytest.mark.django_db


def earn(user, amount, type=TransactionType.EARN, code="SILVER"):
    source = AccountPurpose.REWARDS if type == TransactionType.EARN else AccountPurpose.TREASURY
    credit(account=wallet(user, code), amount=amount, type=type, source=source)


def board(client, query):
    response = client.get(f"{API}leaderboard?{query}")
    assert response.status_code == 200, response.content
    return [(row["user"], row["earned"]) for row in response.json()]


def test_ranks_by_earned_not_by_balance_with_ties_by_user_id(alice, bob):
    carol = create_user()
    earn(alice, 50)
    earn(bob, 80)
    earn(carol, 80)
    earn(alice, 500, type=TransactionType.TOPUP)  # bought, not earned: does not count

    assert board(client_for(alice), "asset=SILVER&period=all") == [
        (bob.pk, "80"),
        (carol.pk, "80"),
        (alice.pk, "50"),
    ]


def test_periods_count_only_their_days(alice, bob):
    with time_machine.travel("2026-05-20 12:00Z"):
        earn(alice, 100)  # last month
    with time_machine.travel("2026-06-01 12:00Z"):  # Monday
        earn(bob, 30)
    with time_machine.travel("2026-06-03 12:00Z"):  # Wednesday
        earn(alice, 20)
        client = client_for(alice)
        daily = board(client, "asset=SILVER&period=daily")
        weekly = board(client, "asset=SILVER&period=weekly")
        cache.clear()
        monthly = board(client, "asset=SILVER&period=monthly")
        everything = board(client, "asset=SILVER")

    assert daily == [(alice.pk, "20")]
    assert weekly == [(bob.pk, "30"), (alice.pk, "20")]
    assert monthly == weekly
    assert everything == [(alice.pk, "120"), (bob.pk, "30")]


def test_bonuses_count_and_limit_applies(alice, bob):
    earn(alice, 5, type=TransactionType.BONUS)
    earn(bob, 7)

    assert board(client_for(alice), "asset=SILVER&limit=1") == [(bob.pk, "7")]
    # alice's signup grant is a GOLD bonus
    assert board(client_for(alice), "asset=GOLD") == [(alice.pk, "100"), (bob.pk, "100")]


def test_a_cached_board_is_served_until_it_expires(alice, bob):
    client = client_for(alice)
    earn(alice, 5)
    first = board(client, "asset=SILVER")

    earn(bob, 9)

    assert board(client, "asset=SILVER") == first
    cache.clear()
    assert board(client, "asset=SILVER")[0] == (bob.pk, "9")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "asset=NOPE",
        "asset=SILVER&period=yearly",
        "asset=SILVER&limit=0",
        "asset=SILVER&limit=101",
    ],
)
def test_bad_leaderboard_queries_are_400(as_alice, query):
    assert as_alice.get(f"{API}leaderboard?{query}").status_code == 400


def test_the_board_reads_daily_totals_not_entries(alice, django_assert_max_num_queries):
    for _ in range(20):
        earn(alice, 1)
    client = client_for(alice)

    with django_assert_max_num_queries(3):  # user, asset, one aggregate over the daily totals
        assert board(client, "asset=SILVER") == [(alice.pk, "20")]
