"""The rewards catalog and a user's redemptions cost a fixed number of statements,
however many rows they show."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rewards.models import Item, Reward, Task
from rewards.services import redeem_reward
from tests.api import API

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, model, fields",
    [
        ("tasks", Task, {"title": "t", "reward": 10}),
        ("items", Item, {"name": "egg", "price": 30}),
        ("rewards", Reward, {"name": "coffee", "kind": "VOUCHER", "cost": 5}),
    ],
)
def test_a_catalog_is_two_statements_and_shows_only_active_rows(
    as_alice, assets, django_assert_num_queries, path, model, fields
):
    for code in ("SILVER", "GOLD", "COIN"):
        model.objects.create(asset=assets[code], **fields)
    model.objects.create(asset=assets["GOLD"], active=False, **fields)

    with django_assert_num_queries(2):  # the caller; the rows with their assets
        response = as_alice.get(f"{API}{path}")

    assert sorted(row["asset"] for row in response.json()) == ["COIN", "GOLD", "SILVER"]


def test_redemptions_are_three_statements_and_only_the_callers(
    alice, bob, as_alice, assets, django_assert_num_queries
):
    reward = Reward.objects.create(
        name="coffee", kind="VOUCHER", asset=assets["GOLD"], cost=5, issues_voucher=True
    )
    for quantity in (1, 2, 3):
        redeem_reward(reward_id=reward.pk, user=alice, quantity=quantity)
    redeem_reward(reward_id=reward.pk, user=bob)

    # the caller; the page with the rewards; the vouchers of all of it
    with django_assert_num_queries(3):
        response = as_alice.get(f"{API}redemptions")

    rows = response.json()["results"]
    assert [len(row["vouchers"]) for row in rows] == [3, 2, 1]  # newest first


def test_a_check_in_answers_from_what_the_engine_posted(alice, as_alice):
    with CaptureQueriesContext(connection) as queries:
        response = as_alice.post(f"{API}checkin")

    assert response.status_code == 201
    assert response.json()["transaction"]["entries"]
    # nothing reads the transaction's entries back after the engine wrote them
    reads_entries = re.compile(r'FROM\s+"?ledger_entry"?\s+(INNER|LEFT|WHERE)')
    assert not [q["sql"] for q in queries if reads_entries.search(q["sql"])]
