import re

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ledger.models import Account, Transaction, TransactionType
from ledger.reconcile import record_reconciliation
from ledger.services import place_hold, reverse_transaction, transfer
from rewards.demo import seed_demo
from tests.factories import fund, spend, wallet

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def act(client, model, action, ids, **form):
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], **form}
    return client.post(url(model), data, follow=True)


@pytest.fixture
def busy_ledger(alice, bob):
    seed_demo()
    fund(wallet(alice, "CITY_POINTS"), 300)
    spend(alice, 5)
    place_hold(account=wallet(alice, "GOLD"), amount=3, reference="order-1")
    record_reconciliation()


def test_every_model_lists_searches_and_opens_with_data(staff_desk, busy_ledger):
    superuser = Client()
    superuser.force_login(User.objects.get(email="admin@example.com"))
    for model, model_admin in admin.site._registry.items():
        listing = superuser.get(url(model))
        assert listing.status_code == 200, model
        if model_admin.search_fields:
            assert superuser.get(url(model), {"q": "alice"}).status_code == 200, model
        row = model.objects.first()
        if row is not None:
            assert superuser.get(url(model, "change", row.pk)).status_code == 200, model


@pytest.mark.parametrize("model", [Transaction, Account])
def test_ledger_rows_cannot_be_added_changed_or_deleted_even_by_a_superuser(busy_ledger, model):
    client = Client()
    client.force_login(User.objects.get(email="admin@example.com"))
    row = model.objects.first()

    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    detail = client.get(url(model, "change", row.pk)).content.decode()
    assert 'name="_save"' not in detail


def test_a_wallet_page_shows_balance_holds_lots_and_recent_entries(staff_desk, busy_ledger, alice):
    gold = staff_desk.get(url(Account, "change", wallet(alice, "GOLD").pk)).content.decode()
    points = staff_desk.get(
        url(Account, "change", wallet(alice, "CITY_POINTS").pk)
    ).content.decode()

    assert "95" in gold and "order-1" in gold and "All entries (paginated)" in gold
    assert "300 of 300 until" in points


def test_adjustment_action_posts_through_the_engine_with_reason_and_staff(staff_desk, alice):
    gold = wallet(alice, "GOLD")

    confirm = act(staff_desk, Account, "post_adjustment", [gold.pk])
    done = act(
        staff_desk,
        Account,
        "post_adjustment",
        [gold.pk],
        confirm="yes",
        amount="-40",
        reason="duplicate grant",
    )

    assert "Post an adjustment" in confirm.content.decode()
    assert "done for 1 of 1" in done.content.decode()
    adjustment = Transaction.objects.get(type=TransactionType.ADJUSTMENT)
    assert adjustment.metadata["reason"] == "duplicate grant"
    assert adjustment.initiated_by.email == "staff-desk@example.com"
    assert wallet(alice, "GOLD").balance == 60
    assert LogEntry.objects.filter(object_id=str(gold.pk)).exists()


@pytest.mark.parametrize(("amount", "reason"), [("abc", "x"), ("-500", "too much"), ("5", "")])
def test_adjustment_action_refuses_bad_input_and_posts_nothing(staff_desk, alice, amount, reason):
    act(
        staff_desk,
        Account,
        "post_adjustment",
        [wallet(alice, "GOLD").pk],
        confirm="yes",
        amount=amount,
        reason=reason,
    )

    assert not Transaction.objects.filter(type=TransactionType.ADJUSTMENT).exists()
    assert wallet(alice, "GOLD").balance == 100


def test_reversal_action(staff_desk, alice):
    spent = spend(alice, 30)

    act(staff_desk, Transaction, "reverse", [spent.pk], confirm="yes", reason="refund")

    assert Transaction.objects.get(reverses=spent).description == "refund"
    assert wallet(alice, "GOLD").balance == 100


def reversal_rows(page: str) -> list[tuple[str, ...]]:
    return re.findall(
        r"<tr><td>#\d+</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page
    )


def test_the_reverse_confirmation_shows_what_is_reversed_before_anything_moves(
    staff_desk, alice, bob
):
    fund(wallet(alice, "COIN"), 1000)
    gift = transfer(
        source=wallet(alice, "COIN"),
        destination=wallet(bob, "COIN"),
        amount=525,
        reference="gift-7",
    )
    before = Transaction.objects.count()

    page = act(staff_desk, Transaction, "reverse", [gift.pk]).content.decode()

    assert f"#{gift.pk} TRANSFER</strong> of 5.25 COIN, reference gift-7" in page
    assert reversal_rows(page) == [
        ("alice@example.com", "COIN", "-5.25", "5.25"),
        ("bob@example.com", "COIN", "5.25", "-5.25"),
    ]
    assert "Posts a REVERSAL transaction" in page
    assert Transaction.objects.count() == before


def test_the_reverse_confirmation_names_system_accounts_and_warns_of_a_done_reversal(
    staff_desk, alice
):
    spent = spend(alice, 30)
    reverse_transaction(transaction_id=spent.pk, reason="refund")

    page = act(staff_desk, Transaction, "reverse", [spent.pk]).content.decode()

    assert reversal_rows(page) == [
        ("alice@example.com", "GOLD", "-30", "30"),
        ("REVENUE", "GOLD", "30", "-30"),
    ]
    assert f"Already reversed by #{spent.reversal.pk}" in page


@pytest.mark.parametrize("action", ["freeze", "unfreeze"])
def test_the_freeze_confirmation_says_nothing_is_posted(staff_desk, alice, action):
    page = act(staff_desk, Account, action, [wallet(alice, "GOLD").pk]).content.decode()

    assert "no transaction is posted" in page
    assert "posting engine" not in page and "on the transaction" not in page


def test_bonus_action_to_selected_users(staff_desk, alice, bob):
    act(
        staff_desk,
        User,
        "grant_bonus",
        [alice.pk, bob.pk],
        confirm="yes",
        asset="SILVER",
        amount="15",
        reason="launch party",
    )

    assert wallet(alice, "SILVER").balance == wallet(bob, "SILVER").balance == 15
    assert (
        Transaction.objects.filter(
            type=TransactionType.BONUS,
            description="launch party",
            initiated_by__email="staff-desk@example.com",
        ).count()
        == 2
    )


def test_freeze_refuses_debits_until_unfrozen(staff_desk, alice):
    gold = wallet(alice, "GOLD")

    act(staff_desk, Account, "freeze", [gold.pk], confirm="yes", reason="fraud check")
    frozen = wallet(alice, "GOLD").status
    act(staff_desk, Account, "unfreeze", [gold.pk], confirm="yes", reason="cleared")

    assert frozen == Account.Status.FROZEN
    assert wallet(alice, "GOLD").status == Account.Status.ACTIVE


def test_support_sees_everything_but_cannot_post(support_desk, alice):
    gold = wallet(alice, "GOLD")

    assert support_desk.get(url(Account, "change", gold.pk)).status_code == 200
    listing = support_desk.get(url(Account)).content.decode()
    act(
        support_desk, Account, "post_adjustment", [gold.pk], confirm="yes", amount="5", reason="try"
    )

    assert "post_adjustment" not in listing
    assert wallet(alice, "GOLD").balance == 100


def test_customers_do_not_reach_the_admin(alice):
    client = Client()
    client.force_login(alice)

    assert client.get("/admin/").status_code == 302  # to the login page


def test_the_dashboard_shows_circulation_flows_and_the_last_reconciliation(staff_desk, busy_ledger):
    page = staff_desk.get("/admin/").content.decode()

    assert 'id="dashboard"' in page
    assert "CITY_POINTS" in page and '<canvas class="chart"' in page
    assert 'id="reconciliation"' in page and "clean" in page
