"""History read per account (list_history) and paged by transaction id (NewestFirst)."""

import base64
import itertools
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from ledger.models import AccountPurpose, Transaction, TransactionType
from ledger.services import convert, credit
from tests.api import API, client_for, error_code
from tests.factories import create_assets, create_user, earn, fund, spend, wallet
from tests.threads import run_in_threads

HISTORY = f"{API}wallets/me/transactions/"


def page_through(client, url: str) -> list[dict]:
    """Every row, following `next` links; fails on a page of the wrong size."""
    rows, limit = [], int(url.rsplit("limit=", 1)[1].split("&")[0])
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) == limit or body["next"] is None
        rows += body["results"]
        url = body["next"]
    return rows


def expected_ids(owner, **lookups) -> list[int]:
    """Straight from the ORM: the owner's transactions matching `lookups`, newest first."""
    return list(
        Transaction.objects.filter(entries__account__user=owner, **lookups)
        .distinct()
        .order_by("-id")
        .values_list("id", flat=True)
    )


@pytest.fixture
def busy_alice(alice, bob):
    """Alice with entries in four assets over four months, converts among them, and Bob's
    transactions in between."""
    fund(wallet(alice, "SILVER"), 10_000)
    for month, step in itertools.product(range(4), range(3)):
        with time_machine.travel(f"2026-0{month + 1}-1{step} 12:00Z", tick=False):
            convert(source=wallet(alice, "SILVER"), destination=wallet(alice, "GOLD"), amount=50)
            spend(alice, 1)
            earn(alice, 3, "CITY_POINTS")
            spend(bob, 1)
            credit(
                account=wallet(alice, "SILVER"),
                amount=7,
                type=TransactionType.TOPUP,
                source=AccountPurpose.TREASURY,
                reference=f"order-{month}-{step}",
                description="Card top-up" if step == 1 else "",
            )
    return alice


@pytest.mark.parametrize(
    ("query", "lookups"),
    [
        ("", {}),
        ("type=convert", {"type": "CONVERT"}),
        ("asset=GOLD", {"entries__asset__code": "GOLD"}),
        ("asset=silver&type=CONVERT", {"entries__asset__code": "SILVER", "type": "CONVERT"}),
        ("asset=NOPE", {"entries__asset__code": "NOPE"}),
        (
            "since=2026-02-01&until=2026-03-11",
            {"created_at__gte": "2026-02-01T00:00Z", "created_at__lt": "2026-03-12T00:00Z"},
        ),
        ("until=2026-02-11T12:00:00Z", {"created_at__lte": "2026-02-11T12:00Z"}),
        ("search=ORDER-2", {"reference__icontains": "order-2"}),
        (
            "search=card&asset=SILVER&since=2026-03-01",
            {"description": "Card top-up", "created_at__gte": "2026-03-01T00:00Z"},
        ),
    ],
)
@pytest.mark.parametrize("limit", [1, 4])
def test_history_pages_every_filter_without_gaps_or_duplicates(
    as_alice, busy_alice, query, lookups, limit
):
    rows = page_through(as_alice, f"{HISTORY}?{query}&limit={limit}")

    assert [row["id"] for row in rows] == expected_ids(busy_alice, **lookups)


def test_history_convert_is_one_row_with_both_entries_under_an_asset_filter(as_alice, alice):
    fund(wallet(alice, "SILVER"), 100)
    converted = convert(
        source=wallet(alice, "SILVER"), destination=wallet(alice, "GOLD"), amount=50
    )

    for asset in ("SILVER", "GOLD"):
        rows = as_alice.get(f"{HISTORY}?asset={asset}").json()["results"]

        assert [row["id"] for row in rows if row["type"] == "CONVERT"] == [converted.pk]
        assert {entry["asset"] for entry in rows[0]["entries"]} == {"SILVER", "GOLD"}


def test_history_previous_link_returns_the_page_before(as_alice, busy_alice):
    first = as_alice.get(f"{HISTORY}?limit=5&type=SPEND").json()
    second = as_alice.get(first["next"]).json()
    third = as_alice.get(second["next"]).json()

    back = as_alice.get(third["previous"]).json()
    back_again = as_alice.get(back["previous"]).json()

    assert back["results"] == second["results"]
    assert back_again["results"] == first["results"]
    assert back_again["previous"] is None
    assert as_alice.get(back_again["next"]).json()["results"] == second["results"]


def test_history_of_a_user_with_few_entries_among_many_is_a_full_page(as_alice, alice, bob):
    # given: Alice's own transactions are her signup grants and one old spend, then
    # Bob's 60 transactions, newer than all of hers
    with time_machine.travel(timezone.now() - timedelta(days=300)):
        old_spend = spend(alice, 1)
    for _ in range(60):
        spend(bob, 1)

    # when
    first = as_alice.get(f"{HISTORY}?limit=1").json()
    second = as_alice.get(first["next"]).json()

    # then
    mine = expected_ids(alice)
    assert [row["id"] for row in first["results"]] == [old_spend.pk] == mine[:1]
    assert [row["id"] for row in second["results"]] == mine[1:2]


def test_history_page_query_count_is_pinned(as_alice, busy_alice, django_assert_num_queries):
    cursor = as_alice.get(f"{HISTORY}?limit=3").json()["next"]
    # An unfiltered page on PostgreSQL reads the page and the owner's entries together.
    together = 1 if connection.vendor == "postgresql" else 0

    # the user (JWT), the page's transactions, the owner's entries of them
    for url, queries in (
        (f"{HISTORY}?limit=50", 3 - together),
        (cursor, 3 - together),
        (f"{HISTORY}?asset=GOLD&type=convert&since=2026-01-01&search=&limit=7", 3),
    ):
        with django_assert_num_queries(queries):
            response = as_alice.get(url)
        assert response.status_code == 200


def test_staff_pages_through_another_users_history(staff, busy_alice):
    url = f"{API}wallets/{busy_alice.pk}/transactions/?limit=7"

    rows = page_through(client_for(staff), url)

    assert [row["id"] for row in rows] == expected_ids(busy_alice)


def cursor_for(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "position", ["p=abc", "p=12.5", "p=-3", "p=%C2%B2", f"p={2**63}", "r=1&p=1e3"]
)
def test_history_cursor_with_a_position_that_is_not_an_id_is_400(as_alice, alice, position):
    response = as_alice.get(f"{HISTORY}?cursor={cursor_for(position)}")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"


@pytest.mark.django_db(transaction=True)
def test_history_pages_stay_whole_while_transactions_are_posted():
    # given: Alice with 40 transactions, and a thread posting more for her
    create_assets()
    alice = create_user("alice@example.com")
    for _ in range(40):
        earn(alice, 1)
    before = expected_ids(alice)
    client = client_for(alice)

    def work(index: int) -> list[int]:
        if index == 0:
            return [earn(alice, 1).pk for _ in range(30)]
        return [row["id"] for row in page_through(client, f"{HISTORY}?limit=3")]

    # when: one thread posts while the other pages through
    posted, paged = run_in_threads(2, work)

    # then: every page continues below the last: nothing twice, nothing skipped
    assert isinstance(paged, list), paged
    assert paged == sorted(set(paged), reverse=True)
    assert set(before) <= set(paged) <= set(before) | set(posted)
    assert [i for i in paged if i <= before[0]] == before
