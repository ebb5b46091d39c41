from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import Transaction
from rewards import campaigns
from rewards.campaigns import run_campaign
from rewards.models import Campaign
from tests.factories import create_user, earn, wallet

pytestmark = pytest.mark.django_db


def campaign(assets, **fields) -> Campaign:
    return Campaign.objects.create(name="weekend", asset=assets["GOLD"], amount=10, **fields)


def test_run_campaign_pays_every_customer_once_and_a_rerun_pays_nobody(
    alice, bob, assets, assert_reconciles
):
    drive = campaign(assets)
    out = StringIO()

    call_command("run_campaign", drive.pk, stdout=out)
    drive.status = Campaign.Status.DRAFT
    drive.paid_up_to_user = 0
    drive.save()
    call_command("run_campaign", drive.pk, stdout=out)

    assert "Paid 2, already paid 0" in out.getvalue()
    assert "Paid 0, already paid 2" in out.getvalue()
    assert wallet(alice, "GOLD").balance == wallet(bob, "GOLD").balance == 110
    assert Campaign.objects.get(pk=drive.pk).status == Campaign.Status.DONE
    assert_reconciles()


def test_an_interrupted_campaign_resumes_without_paying_twice(
    assets, assert_reconciles, monkeypatch
):
    monkeypatch.setattr(campaigns, "BATCH", 1)  # commit each user, so the stop falls mid-run
    users = [create_user() for _ in range(5)]
    drive = campaign(assets)

    def interrupt_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_campaign(drive, progress=interrupt_after_three)
    drive.refresh_from_db()
    payout = run_campaign(drive)

    # the first run reached user 3 but its checkpoint was not saved yet: all five are
    # looked at again, the three paid are recognised by their keys
    assert (payout.paid, payout.already_paid) == (2, 3)
    assert (
        Transaction.objects.filter(idempotency_key__startswith=f"campaign:{drive.pk}:").count() == 5
    )
    assert all(wallet(user, "GOLD").balance == 110 for user in users)
    assert_reconciles()


def test_audience_of_users_with_enough_earn_events(alice, bob, assets):
    for _ in range(3):
        earn(alice, 1)
    earn(bob, 1)

    run_campaign(campaign(assets, audience=Campaign.Audience.MIN_EARN_EVENTS, min_earn_events=2))

    assert (wallet(alice, "GOLD").balance, wallet(bob, "GOLD").balance) == (110, 100)


def test_explicit_audience(alice, bob, assets):
    drive = campaign(assets, audience=Campaign.Audience.EXPLICIT)
    drive.users.add(bob)

    run_campaign(drive)

    assert (wallet(alice, "GOLD").balance, wallet(bob, "GOLD").balance) == (100, 110)


def test_run_campaign_unknown_id_fails(assets):
    with pytest.raises(CommandError):
        call_command("run_campaign", 999, stdout=StringIO())


def test_monthly_active_bonus_pays_last_months_earners_once(alice, bob, assets, settings):
    import time_machine

    with time_machine.travel("2026-05-10 12:00Z"):
        earn(alice, 1, "CITY_POINTS")
    out = StringIO()
    with time_machine.travel("2026-06-02 12:00Z"):
        call_command("pay_monthly_active_bonus", stdout=out)
        call_command("pay_monthly_active_bonus", "--month", "2026-05", stdout=out)

    assert wallet(alice, "CITY_POINTS").balance == 101
    assert wallet(bob, "CITY_POINTS").balance == 0
    assert "Paid 1, already paid 0" in out.getvalue()
    assert "Paid 0, already paid 1" in out.getvalue()
