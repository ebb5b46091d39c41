from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from ledger.models import Asset, Hold
from ledger.services import place_hold
from tests.factories import earn, fund, wallet

pytestmark = pytest.mark.django_db

START = timezone.datetime(2026, 1, 10, 12, tzinfo=timezone.UTC)


def test_expire_points_expires_due_lots_and_holds_once(alice, bob, assets, assert_reconciles):
    with time_machine.travel(START, tick=False):
        for user in (alice, bob):
            earn(user, 40, "CITY_POINTS")
        hold = place_hold(
            account=wallet(alice, "GOLD"), amount=5, expires_at=START + timedelta(hours=1)
        )
    with time_machine.travel(START + timedelta(days=200), tick=False):
        earn(bob, 7, "CITY_POINTS")
    out = StringIO()

    with time_machine.travel(START + timedelta(days=366), tick=False):
        call_command("expire_points", stdout=out)
        call_command("expire_points", stdout=out)  # a re-run finds nothing

    assert wallet(alice, "CITY_POINTS").balance == 0
    assert wallet(bob, "CITY_POINTS").balance == 7  # the later lot has not expired
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.EXPIRED
    assert "Expired 80 CITY_POINTS from 2 wallets; released 1 holds." in out.getvalue()
    assert "Expired nothing from 0 wallets; released 0 holds." in out.getvalue()
    assert_reconciles()


def test_expire_points_reports_each_assets_total_in_its_units(alice, bob, assets):
    Asset.objects.filter(code="COIN").update(expiry_days=30)
    with time_machine.travel(START, tick=False):
        fund(wallet(alice, "COIN"), 525)
        fund(wallet(bob, "COIN"), 1000)
        earn(bob, 40, "CITY_POINTS")
    out = StringIO()

    with time_machine.travel(START + timedelta(days=366), tick=False):
        call_command("expire_points", stdout=out)

    assert "Expired 40 CITY_POINTS, 15.25 COIN from 3 wallets;" in out.getvalue()
