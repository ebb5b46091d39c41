import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import Account, ReconciliationRun
from ledger.reconcile import check_ledger
from tests.factories import fund, wallet

pytestmark = pytest.mark.django_db


def test_reconcile_passes_on_a_sound_ledger_and_records_the_run(alice, bob, capsys):
    fund(wallet(alice, "COIN"), 500)

    call_command("reconcile")

    assert "Ledger reconciles." in capsys.readouterr().out
    assert ReconciliationRun.objects.get().ok


def test_reconcile_fails_when_a_balance_was_edited_behind_the_engine(alice):
    gold = wallet(alice, "GOLD")
    Account.objects.filter(pk=gold.pk).update(balance=gold.balance + 1)

    with pytest.raises(CommandError):
        call_command("reconcile")

    run = ReconciliationRun.objects.get()
    assert not run.ok
    assert set(run.report["problems"]) == {"user_balance_not_sum_of_entries"}
    assert run.report["problems"]["user_balance_not_sum_of_entries"]["sample"] == [
        [gold.pk, gold.balance + 1, gold.balance]
    ]


def test_reconcile_flags_held_amounts_without_holds(alice):
    Account.objects.filter(pk=wallet(alice, "GOLD").pk).update(held=5)

    assert set(check_ledger().problems) == {"held_not_sum_of_pending_holds"}


@pytest.mark.parametrize("sound", [True, False])
def test_reconcile_json_prints_exactly_one_json_document(alice, capsys, sound):
    if not sound:
        gold = wallet(alice, "GOLD")
        Account.objects.filter(pk=gold.pk).update(balance=gold.balance + 1)

    if sound:
        call_command("reconcile", "--json")
    else:
        with pytest.raises(CommandError):
            call_command("reconcile", "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is sound
    assert "user_balance_not_sum_of_entries" in report["checked"]
    assert bool(report["problems"]) is not sound
