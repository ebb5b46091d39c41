import itertools
import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ledger.models import Transaction
from rewards import campaigns
from rewards.campaigns import run_campaign
from rewards.models import Campaign
from tests.factories import create_user, earn, wallet
from tests.threads import run_in_threads

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


def test_a_user_paid_by_a_run_with_its_clock_ahead_is_reported_as_already_paid(alice, assets):
    """Already paid is the engine's outcome, never a comparison of timestamps: here the
    earlier payment is dated after the second run started."""
    # given: alice paid by a run on a machine whose clock was a day ahead
    drive = campaign(assets)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        first = run_campaign(drive)
    Campaign.objects.filter(pk=drive.pk).update(status=Campaign.Status.DRAFT, paid_up_to_user=0)

    # when
    again = run_campaign(Campaign.objects.get(pk=drive.pk))

    # then
    assert (first.paid, first.already_paid) == (1, 0)
    assert (again.paid, again.already_paid, again.failed) == (0, 1, {})
    assert wallet(alice, "GOLD").balance == 110


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


def test_a_done_campaign_is_not_run_again_for_users_who_joined_since(alice, assets):
    drive = campaign(assets)
    call_command("run_campaign", drive.pk, stdout=StringIO())
    newcomer = create_user()
    before = Transaction.objects.count()

    with pytest.raises(CommandError, match="Nothing was paid"):
        call_command("run_campaign", drive.pk, stdout=StringIO())

    assert Transaction.objects.count() == before
    assert wallet(newcomer, "GOLD").balance == 100  # the signup grant only
    assert wallet(alice, "GOLD").balance == 110


def test_a_campaign_edited_after_paying_some_refuses_them_as_conflicts(assets, monkeypatch):
    monkeypatch.setattr(campaigns, "BATCH", 1)
    users = [create_user() for _ in range(4)]
    drive = campaign(assets)

    def interrupt_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_campaign(drive, progress=interrupt_after_two)
    Campaign.objects.filter(pk=drive.pk).update(amount=25)
    out = StringIO()

    with pytest.raises(CommandError, match="idempotency_key_reused"):
        call_command("run_campaign", drive.pk, stdout=out)

    assert "Paid 2, already paid 0, failed 2." in out.getvalue()
    assert [wallet(user, "GOLD").balance for user in users] == [110, 110, 125, 125]


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_a_campaign_at_once_pay_and_report_each_user_once(assets, monkeypatch):
    """The second run starts its batch before the first commits and posts after it."""
    users = [create_user() for _ in range(10)]
    drive = campaign(assets)
    arrivals = itertools.count()
    second_arrived, first_committed = threading.Event(), threading.Event()
    real_post_batch = campaigns.post_batch

    def one_after_the_other(postings):
        if next(arrivals) == 0:
            second_arrived.wait(10)
            results = real_post_batch(postings)
            first_committed.set()
            return results
        second_arrived.set()
        first_committed.wait(10)
        return real_post_batch(postings)

    monkeypatch.setattr(campaigns, "post_batch", one_after_the_other)
    payouts = run_in_threads(2, lambda _: run_campaign(Campaign.objects.get(pk=drive.pk)))

    assert sorted((p.paid, p.already_paid) for p in payouts) == [(0, 10), (10, 0)]
    assert all(wallet(user, "GOLD").balance == 110 for user in users)


def test_monthly_active_bonus_refuses_a_month_not_over_unless_forced(alice, assets):
    with time_machine.travel("2026-05-10 12:00Z"):
        earn(alice, 1, "CITY_POINTS")
    with time_machine.travel("2026-05-31 12:00Z"):
        for month in ("2026-05", "2026-07"):
            with pytest.raises(CommandError, match="not over yet; nothing was paid"):
                call_command("pay_monthly_active_bonus", "--month", month, stdout=StringIO())
        refused = wallet(alice, "CITY_POINTS").balance
        call_command("pay_monthly_active_bonus", "--month", "2026-05", "--force", stdout=StringIO())

    assert refused == 1
    assert wallet(alice, "CITY_POINTS").balance == 101


def test_monthly_active_bonus_with_users_not_paid_exits_non_zero(alice, assets, settings):
    with time_machine.travel("2026-05-10 12:00Z"):
        earn(alice, 1, "CITY_POINTS")
    with time_machine.travel("2026-06-02 12:00Z"):
        call_command("pay_monthly_active_bonus", stdout=StringIO())
        settings.MONTHLY_ACTIVE_BONUS_AMOUNT = 150

        with pytest.raises(CommandError, match="idempotency_key_reused"):
            call_command("pay_monthly_active_bonus", stdout=StringIO())

    assert wallet(alice, "CITY_POINTS").balance == 101
