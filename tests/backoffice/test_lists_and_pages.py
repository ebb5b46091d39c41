"""Lists that find things, the user's page, and the actions on an object's own page."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from ledger.models import Account, Transaction, TransactionType
from ledger.services import credit, place_hold, transfer
from tests.factories import fund, spend, wallet

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def listed_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)}


@pytest.fixture
def ledger_rows(alice, bob):
    fund(wallet(alice, "COIN"), 1000)  # 10.00 COIN
    paid = transfer(
        source=wallet(alice, "COIN"),
        destination=wallet(bob, "COIN"),
        amount=250,
        reference="order-77",
        idempotency_key="key-abc-1",
    )
    bobs_own = spend(bob, 5)
    hold = place_hold(account=wallet(alice, "GOLD"), amount=3, reference="cart-9")
    signup = Transaction.objects.get(entries__account=wallet(bob, "GOLD"), type="BONUS")
    return {"transfer": paid, "bobs_own": bobs_own, "hold": hold, "bobs_signup": signup}


def test_the_transaction_list_shows_type_amount_parties_and_initiator(staff_desk, ledger_rows):
    page = staff_desk.get(url("ledger_transaction_changelist")).content.decode()

    row = page[page.index(f'name="_selected_action" value="{ledger_rows["transfer"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Transfer" in row and "2.50 COIN" in row
    assert re.search(r"alice@example.com</a>\s*&rarr;\s*<a[^>]*>bob@example.com", row)


def test_the_transaction_list_costs_the_same_queries_for_3_or_30_rows(
    staff_desk, ledger_rows, alice, django_assert_num_queries
):
    def queries_for_a_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert staff_desk.get(url("ledger_transaction_changelist")).status_code == 200
        return len(captured)

    few = queries_for_a_page()
    for number in range(27):
        credit(
            account=wallet(alice, "GOLD"),
            amount=1 + number,
            type=TransactionType.BONUS,
            source="BONUS",
            initiated_by=User.objects.get(email="staff-desk@example.com"),
        )
    many = queries_for_a_page()

    assert Transaction.objects.count() >= 30
    assert many == few


@pytest.mark.parametrize(
    ("term", "finds"),
    [
        ("bob@example.com", {"transfer", "bobs_own", "bobs_signup"}),
        ("BOB@example.com", {"transfer", "bobs_own", "bobs_signup"}),
        ("order-77", {"transfer"}),
        ("key-abc-1", {"transfer"}),
        ("nobody@example.com", set()),
    ],
)
def test_transactions_are_found_by_email_reference_key_or_id(staff_desk, ledger_rows, term, finds):
    page = staff_desk.get(url("ledger_transaction_changelist"), {"q": term}).content.decode()

    assert listed_ids(page) == {ledger_rows[name].pk for name in finds}


def test_a_transaction_is_found_by_its_id(staff_desk, ledger_rows):
    wanted = ledger_rows["bobs_own"].pk

    page = staff_desk.get(url("ledger_transaction_changelist"), {"q": str(wanted)})

    assert listed_ids(page.content.decode()) == {wanted}


def test_transactions_filter_by_type_asset_date_and_amount(staff_desk, ledger_rows):
    listing = url("ledger_transaction_changelist")
    today = timezone.localdate()

    def ids(**query) -> set[int]:
        return listed_ids(staff_desk.get(listing, query).content.decode())

    transfer_id, spend_id = ledger_rows["transfer"].pk, ledger_rows["bobs_own"].pk
    assert ids(type__exact="TRANSFER") == {transfer_id}
    assert spend_id in ids(asset="GOLD") and transfer_id not in ids(asset="GOLD")
    assert transfer_id in ids(created_at_from=today.isoformat(), created_at_to=today.isoformat())
    assert ids(created_at_from=(today + timedelta(days=1)).isoformat()) == set()
    # amounts in the asset's units: 2.50 COIN lies between 2 and 3, 5 GOLD does not
    assert ids(amount_from="2", amount_to="3") == {transfer_id}
    assert spend_id in ids(amount_from="5", amount_to="5")


def test_the_account_list_opens_on_user_wallets_with_system_accounts_behind_a_filter(
    staff_desk, ledger_rows
):
    listing = url("ledger_account_changelist")

    default = listed_ids(staff_desk.get(listing).content.decode())
    system = listed_ids(staff_desk.get(listing, {"kind": "system"}).content.decode())

    assert default == set(Account.objects.filter(user__isnull=False).values_list("pk", flat=True))
    assert system == set(Account.objects.filter(user__isnull=True).values_list("pk", flat=True))
    assert system


def test_the_user_page_shows_wallets_balances_transactions_and_holds_with_links(
    staff_desk, ledger_rows, alice
):
    page = staff_desk.get(url("accounts_user_change", alice.pk)).content.decode()

    coin = wallet(alice, "COIN")
    assert re.search(r'data-key="COIN">(?:(?!</tr>).)*col-balance">7.50</td>', page, re.S)
    assert url("ledger_account_change", coin.pk) in page
    assert url("ledger_transaction_change", ledger_rows["transfer"].pk) in page
    assert url("ledger_hold_change", ledger_rows["hold"].pk) in page and "cart-9" in page


def test_an_adjustment_from_the_wallet_page_previews_then_posts(staff_desk, ledger_rows, alice):
    coin = wallet(alice, "COIN")
    action = url("ledger_account_adjust_wallet", coin.pk)

    detail = staff_desk.get(url("ledger_account_change", coin.pk)).content.decode()
    form = staff_desk.get(action).content.decode()
    preview = staff_desk.post(action, {"amount": "-1.25", "reason": "duplicate"}).content.decode()
    unchanged = wallet(alice, "COIN").balance
    done = staff_desk.post(
        action, {"amount": "-1.25", "reason": "duplicate", "confirm": "yes"}, follow=True
    )

    assert action in detail and 'name="amount"' in form
    assert re.search(
        r'data-balance="before">7.50</span> &rarr; <span data-balance="after">6.25', preview
    )
    assert unchanged == 750
    assert wallet(alice, "COIN").balance == 625
    assert "Post an adjustment: done" in done.content.decode()
    adjustment = Transaction.objects.get(type=TransactionType.ADJUSTMENT)
    assert adjustment.metadata["reason"] == "duplicate"
    assert LogEntry.objects.filter(object_id=str(coin.pk), change_message__contains="duplicate")


def test_a_debit_beyond_the_balance_is_shown_as_refused_and_posts_nothing(
    staff_desk, ledger_rows, alice
):
    coin = wallet(alice, "COIN")
    action = url("ledger_account_adjust_wallet", coin.pk)

    preview = staff_desk.post(action, {"amount": "-100", "reason": "x"}).content.decode()
    done = staff_desk.post(action, {"amount": "-100", "reason": "x", "confirm": "yes"}, follow=True)

    assert "Will be refused (insufficient_funds)" in preview
    assert "refused (insufficient_funds)" in done.content.decode()
    assert wallet(alice, "COIN").balance == 750


def test_an_adjustment_and_a_bonus_from_the_users_page(staff_desk, ledger_rows, alice):
    gold = wallet(alice, "GOLD")
    adjust = url("accounts_user_adjust_here", alice.pk)
    bonus = url("accounts_user_bonus_here", alice.pk)

    preview = staff_desk.post(adjust, {"wallet": gold.pk, "amount": "5", "reason": "goodwill"})
    staff_desk.post(
        adjust, {"wallet": gold.pk, "amount": "5", "reason": "goodwill", "confirm": "y"}
    )
    bonus_preview = staff_desk.post(bonus, {"asset": "COIN", "amount": "0.50", "reason": "promo"})
    staff_desk.post(bonus, {"asset": "COIN", "amount": "0.50", "reason": "promo", "confirm": "y"})

    assert 'data-balance="after">105<' in preview.content.decode()
    assert 'data-balance="after">8.00<' in bonus_preview.content.decode()
    assert wallet(alice, "GOLD").balance == 105
    assert wallet(alice, "COIN").balance == 800
    assert Transaction.objects.filter(type=TransactionType.BONUS, description="promo").exists()


def test_freeze_and_reverse_from_their_pages(staff_desk, ledger_rows, alice, bob):
    gold = wallet(bob, "GOLD")
    freeze = url("ledger_account_freeze_wallet", gold.pk)
    reverse_it = url("ledger_transaction_reverse_here", ledger_rows["transfer"].pk)

    freeze_preview = staff_desk.post(freeze, {"reason": "fraud check"}).content.decode()
    staff_desk.post(freeze, {"reason": "fraud check", "confirm": "yes"})
    reversal_preview = staff_desk.post(reverse_it, {"reason": "wrong payee"}).content.decode()
    staff_desk.post(reverse_it, {"reason": "wrong payee", "confirm": "yes"})

    assert "ACTIVE</strong> &rarr; <strong>FROZEN" in freeze_preview
    assert wallet(bob, "GOLD").status == Account.Status.FROZEN
    assert 'data-balance="before">2.50</span> &rarr; <span data-balance="after">0.00' in (
        reversal_preview
    )
    assert Transaction.objects.filter(reverses=ledger_rows["transfer"]).exists()
    assert wallet(alice, "COIN").balance == 1000


def test_support_sees_the_pages_but_no_action_and_cannot_start_one(
    support_desk, ledger_rows, alice
):
    coin = wallet(alice, "COIN")
    pages = [
        url("accounts_user_change", alice.pk),
        url("ledger_account_change", coin.pk),
        url("ledger_transaction_change", ledger_rows["transfer"].pk),
    ]
    actions = [
        (url("ledger_account_adjust_wallet", coin.pk), {"amount": "1", "reason": "r"}),
        (url("ledger_account_freeze_wallet", coin.pk), {"reason": "r"}),
        (
            url("accounts_user_bonus_here", alice.pk),
            {"asset": "COIN", "amount": "1", "reason": "r"},
        ),
        (url("ledger_transaction_reverse_here", ledger_rows["transfer"].pk), {"reason": "r"}),
    ]

    shown = [support_desk.get(page) for page in pages]
    refused = [support_desk.post(path, {**data, "confirm": "yes"}) for path, data in actions]

    assert all(page.status_code == 200 for page in shown)
    assert not any(path in page.content.decode() for page in shown for path, _ in actions)
    assert [response.status_code for response in refused] == [403] * 4
    assert wallet(alice, "COIN").balance == 750 and wallet(alice, "COIN").status == "ACTIVE"


def test_nobody_logged_out_reaches_an_object_action(ledger_rows, alice):
    response = Client().post(url("accounts_user_bonus_here", alice.pk), {"confirm": "yes"})

    assert response.status_code == 302
