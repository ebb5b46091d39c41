"""The demo economy end to end through the API, as the rewards issue describes it."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from ledger.reconcile import check_ledger
from rewards.models import Item, Task
from tests.api import API, client_for

pytestmark = pytest.mark.django_db


def test_task_convert_buy_and_the_history_shows_each_step(economy):
    client = client_for(User.objects.get(email="alice@example.com"))
    task = Task.objects.get(title="Complete your profile")
    sword = Item.objects.get(name="Steel sword")

    completed = client.post(f"{API}tasks/{task.pk}/complete", format="json")
    converted = client.post(
        f"{API}wallets/me/convert",
        {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 50},
        format="json",
    )
    bought = client.post(f"{API}items/{sword.pk}/buy", {"quantity": 1}, format="json")

    assert completed.status_code == 201
    assert completed.json()["transaction"]["balances"] == {"SILVER": "100"}
    assert converted.json()["balances"] == {"SILVER": "50", "GOLD": "101"}
    assert bought.status_code == 201
    assert bought.json()["transaction"]["balances"] == {"GOLD": "71"}
    history = client.get(f"{API}wallets/me/transactions").json()["results"]
    assert [row["type"] for row in history] == ["SPEND", "CONVERT", "EARN", "TOPUP", "BONUS"]
    assert check_ledger().ok


def test_seed_demo_twice_changes_nothing(economy):
    from ledger.models import Transaction

    before = Transaction.objects.count()

    call_command("seed_demo", stdout=StringIO())

    assert Transaction.objects.count() == before
    assert check_ledger().ok
