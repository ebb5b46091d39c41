"""The back office shows and takes every amount in the asset's units: 5.25 COIN, never 525."""

import re
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import User
from ledger.models import (
    Account,
    Asset,
    ConversionRate,
    DailyTotal,
    Entry,
    Hold,
    Lot,
    Transaction,
    TransactionType,
)
from ledger.services import place_hold
from rewards.models import Campaign, EarningRule, Item, Milestone, Purchase, Reward, Task
from rewards.services import buy_item
from tests.factories import fund, spend, wallet

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def cells(page: str) -> set[str]:
    """The text of every table cell and read-only field of a page."""
    found = re.findall(r"<t[dh][^>]*>\s*(?:<[pa][^>]*>\s*)?([^<]*)", page)
    found += re.findall(r'<div class="readonly[^"]*">([^<]*)</div>', page)
    return {unescape(text).strip() for text in found}


@pytest.fixture
def coin_ledger(alice, assets):
    """COIN (2 decimals) made expiring, so it has lots too; every kind of amount row."""
    Asset.objects.filter(code="COIN").update(expiry_days=30)
    coin = Asset.objects.get(code="COIN")
    fund(wallet(alice, "COIN"), 1000)
    spend(alice, 525, "COIN")
    place_hold(account=wallet(alice, "COIN"), amount=125, reference="order-1")
    item = Item.objects.create(name="Hat", asset=coin, price=250)
    buy_item(item_id=item.pk, user=alice)
    Reward.objects.create(name="Tea", kind="VOUCHER", asset=coin, cost=375)
    Task.objects.create(title="Walk", asset=coin, reward=1050)
    EarningRule.objects.create(event="walked", asset=coin, amount=5)
    Milestone.objects.create(event="walked", count=3, asset=coin, amount=20)
    Campaign.objects.create(name="Spring", asset=coin, amount=1999)
    ConversionRate.objects.create(
        from_asset=assets["GOLD"], to_asset=coin, from_amount=2, to_amount=525
    )
    return coin


@pytest.mark.parametrize(
    ("model", "shown", "raw"),
    [
        (Entry, {"-5.25", "5.25", "10.00", "4.75"}, {"-525", "525", "1000", "475"}),
        (Hold, {"1.25", "0.00"}, {"125"}),
        (Lot, {"10.00", "2.25"}, {"1000", "225"}),
        (DailyTotal, {"10.00", "7.75"}, {"1000", "775"}),  # spent 5.25 and 2.50
        (Item, {"2.50"}, {"250"}),
        (Reward, {"3.75"}, {"375"}),
        (Task, {"10.50"}, {"1050"}),
        (EarningRule, {"0.05"}, {"5"}),
        (Milestone, {"0.20"}, {"20"}),
        (Campaign, {"19.99"}, {"1999"}),
        (Purchase, {"2.50"}, {"250"}),
        (ConversionRate, {"2 GOLD -> 5.25 COIN"}, {"2 GOLD -> 525 COIN"}),
    ],
)
def test_every_list_shows_amounts_in_the_assets_units(staff_desk, coin_ledger, model, shown, raw):
    listed = cells(staff_desk.get(url(model)).content.decode())

    assert shown <= listed
    assert not raw & listed


def test_the_transaction_page_shows_its_entries_in_the_assets_units(staff_desk, coin_ledger):
    spent = Transaction.objects.get(type=TransactionType.SPEND, entries__amount=-525)

    page = cells(staff_desk.get(url(Transaction, "change", spent.pk)).content.decode())

    assert {"-5.25", "5.25", "4.75"} <= page
    assert not {"-525", "525", "475"} & page


@pytest.mark.parametrize(
    ("model", "lookup", "shown", "raw"),
    [
        (Entry, {"amount": -525}, "-5.25", "-525"),
        (Hold, {"amount": 125}, "1.25", "125"),
        (Lot, {"remaining": 225}, "2.25", "225"),
        (DailyTotal, {"debited": 775}, "7.75", "775"),
    ],
)
def test_view_only_ledger_pages_show_amounts_in_the_assets_units(
    support_desk, coin_ledger, model, lookup, shown, raw
):
    row = model.objects.get(**lookup)

    page = cells(support_desk.get(url(model, "change", row.pk)).content.decode())

    assert shown in page
    assert raw not in page


def test_config_pages_show_amounts_in_units_to_staff_and_support(
    staff_desk, support_desk, coin_ledger
):
    item = Item.objects.get()

    editable = staff_desk.get(url(Item, "change", item.pk)).content.decode()
    view_only = cells(support_desk.get(url(Item, "change", item.pk)).content.decode())

    assert 'name="price" value="2.50"' in editable
    assert "2.50" in view_only and "250" not in view_only


def test_editing_a_campaign_takes_and_keeps_units(staff_desk, coin_ledger):
    campaign = Campaign.objects.get()
    form = {
        "name": "Spring",
        "asset": coin_ledger.pk,
        "amount": "12.50",
        "audience": "ALL_ACTIVE",
        "min_earn_events": "1",
        "created_at_0": "2026-01-01",
        "created_at_1": "12:00:00",
    }

    saved = staff_desk.post(url(Campaign, "change", campaign.pk), form)
    shown = staff_desk.get(url(Campaign, "change", campaign.pk)).content.decode()

    assert saved.status_code == 302
    assert Campaign.objects.get().amount == 1250
    assert 'name="amount" value="12.50"' in shown


@pytest.mark.parametrize(
    ("model", "action", "form", "noted"),
    [
        (Account, "post_adjustment", {"amount": "-0.25"}, "of -0.25 COIN"),
        (User, "grant_bonus", {"amount": "0.25", "asset": "COIN"}, "of 0.25 COIN"),
    ],
)
def test_adjustment_and_bonus_are_typed_and_logged_in_units(
    staff_desk, alice, coin_ledger, model, action, form, noted
):
    row = wallet(alice, "COIN") if model is Account else alice
    before = wallet(alice, "COIN").balance
    data = {"action": action, "_selected_action": [row.pk], "confirm": "yes", "reason": "r"}

    staff_desk.post(url(model), data | form)

    assert abs(wallet(alice, "COIN").balance - before) == 25
    assert noted in LogEntry.objects.latest("pk").change_message
