"""One amount grammar at every entry point: the API, the admin forms and the bulk CSV.

`^[0-9]+(\\.[0-9]+)?$`, at most the asset's scale in decimals, above zero, at most 10^15
minor units, never rounded; JSON integers too, floats never. GOLD has scale 0, COIN 2.
"""

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.amounts import MAX_AMOUNT
from ledger.models import Account, Asset, Entry, Transaction, TransactionType
from rewards.models import Campaign
from tests.api import API, client_for, error_code
from tests.backoffice.conftest import back_office_user
from tests.factories import fund, wallet
from wallets import bulk

pytestmark = pytest.mark.django_db

# (asset, amount as text, minor units it is, or None when it must be refused)
TEXT_CASES = [
    ("GOLD", "10", 10),
    ("GOLD", "007", 7),
    ("COIN", "5.25", 525),
    ("COIN", "5.2", 520),
    ("COIN", "0.01", 1),
    ("GOLD", str(MAX_AMOUNT), MAX_AMOUNT),
    # the examples of issue #9
    ("GOLD", "1e3", None),
    ("GOLD", " 10", None),
    ("GOLD", "10\n", None),
    ("GOLD", "+5", None),
    ("GOLD", "1_0", None),
    ("GOLD", "\u0661\u0660", None),  # Arabic-Indic 10
    ("GOLD", "\uff11\uff10", None),  # full-width 10
    ("GOLD", "10.000", None),  # zeros are decimals too on a zero-decimal asset
    ("GOLD", "0.99999999999999999999999999999", None),  # was rounded to 1 and posted
    # and the rest of the grammar
    ("GOLD", "10.0", None),
    ("COIN", "5.250", None),
    ("COIN", "5.255", None),
    ("GOLD", "0", None),
    ("COIN", "0.00", None),
    ("GOLD", "-5", None),
    ("GOLD", "", None),
    ("GOLD", ".5", None),
    ("GOLD", "5.", None),
    ("GOLD", "1.2.3", None),
    ("GOLD", "1,000", None),
    ("GOLD", "1 000", None),
    ("GOLD", "10\t", None),
    ("GOLD", "1E3", None),
    ("GOLD", "0x10", None),
    ("GOLD", "NaN", None),
    ("GOLD", "Infinity", None),
    ("GOLD", str(MAX_AMOUNT + 1), None),
    ("COIN", "10000000000000.01", None),  # 10^15 + 1 minor units
    ("GOLD", "9" * 5000, None),
]


def ids(cases: list[tuple]) -> list[str]:
    return [f"{asset}:{text!r}"[:40] for asset, text, _ in cases]


# JSON bodies only: the value as it appears in the JSON text.
JSON_CASES = [
    ("GOLD", "10", 10),
    ("COIN", "3", 300),
    ("GOLD", "1.0", None),
    ("GOLD", "1e3", None),
    ("GOLD", "1E3", None),
    ("COIN", "5.25", None),
    ("GOLD", "0", None),
    ("GOLD", "-5", None),
    ("GOLD", "true", None),
    ("GOLD", "null", None),
    ("GOLD", "[10]", None),
    ("GOLD", '{"value": 10}', None),
    ("GOLD", str(MAX_AMOUNT + 1), None),
    ("COIN", str(MAX_AMOUNT // 100 + 1), None),
]


def fund_alice(alice) -> None:
    fund(wallet(alice, "GOLD"), MAX_AMOUNT - 100)  # 100 from the signup grant
    fund(wallet(alice, "COIN"), MAX_AMOUNT)


def entries_snapshot() -> int:
    return Entry.objects.count()


def assert_refused_naming_amount(response) -> None:
    assert response.status_code == 400, response.content
    assert error_code(response) == "validation_error"
    assert "amount" in response.json()["error"]["details"]


# --- the API ----------------------------------------------------------------------------


def post_raw_amount(client, path: str, asset: str, amount_json: str):
    body = f'{{"asset": {json.dumps(asset)}, "amount": {amount_json}}}'
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize(("asset", "text", "minor"), TEXT_CASES, ids=ids(TEXT_CASES))
def test_api_reads_a_string_amount_by_the_grammar(as_alice, alice, asset, text, minor):
    fund_alice(alice)
    before = wallet(alice, asset).balance

    response = as_alice.post(
        f"{API}wallets/me/spend", {"asset": asset, "amount": text}, format="json"
    )

    if minor is None:
        assert_refused_naming_amount(response)
        assert wallet(alice, asset).balance == before
    else:
        assert response.status_code == 201, response.content
        assert wallet(alice, asset).balance == before - minor


@pytest.mark.parametrize(("asset", "amount_json", "minor"), JSON_CASES)
def test_api_takes_json_integers_and_never_floats(as_alice, alice, asset, amount_json, minor):
    fund_alice(alice)
    before = wallet(alice, asset).balance

    response = post_raw_amount(as_alice, f"{API}wallets/me/spend", asset, amount_json)

    if minor is None:
        assert_refused_naming_amount(response)
        assert wallet(alice, asset).balance == before
    else:
        assert response.status_code == 201, response.content
        assert wallet(alice, asset).balance == before - minor


def amount_routes(alice, service) -> list[tuple[object, str, dict]]:
    """Every API route that reads an amount: (client, path, the rest of the body)."""
    from ledger.services import place_hold

    hold = place_hold(account=wallet(alice, "COIN"), amount=1000)
    as_alice, as_service = client_for(alice), client_for(service)
    return [
        (as_alice, f"{API}wallets/me/spend", {"asset": "COIN"}),
        (as_alice, f"{API}wallets/me/transfer", {"asset": "COIN", "to": service.pk}),
        (as_alice, f"{API}wallets/me/convert", {"from_asset": "SILVER", "to_asset": "GOLD"}),
        (as_alice, f"{API}wallets/me/holds", {"asset": "COIN"}),
        (as_alice, f"{API}holds/{hold.pk}/capture", {}),
        (as_service, f"{API}wallets/{alice.pk}/earn", {"asset": "COIN"}),
        (as_service, f"{API}wallets/{alice.pk}/topup", {"asset": "COIN"}),
        (as_service, f"{API}wallets/{alice.pk}/bonus", {"asset": "COIN"}),
    ]


@pytest.mark.parametrize(
    "amount", ["1e3", " 10", "10\n", "+5", "1_0", "\uff11\uff10", "5.255", 1.0, 1e3, True]
)
def test_every_api_amount_route_refuses_what_the_grammar_refuses(alice, service, amount):
    fund(wallet(alice, "SILVER"), 10_000)
    fund(wallet(alice, "COIN"), 10_000)
    routes = amount_routes(alice, service)
    before = entries_snapshot()

    for client, path, body in routes:
        response = client.post(path, {**body, "amount": amount}, format="json")

        assert_refused_naming_amount(response)
    assert entries_snapshot() == before


# --- the admin forms --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_second_pair_of_eyes(settings):
    """The grammar is under test here: 10^15 posts at once rather than waiting for
    approval (payments' maker–checker threshold)."""
    settings.PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": MAX_AMOUNT}


@pytest.fixture
def desk(assets) -> Client:
    client = Client()
    client.force_login(back_office_user("staff"))
    return client


def admin_action(client, model, action: str, ids: list[int], **form):
    path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], **form}
    return client.post(path, data)


@pytest.mark.parametrize(("asset", "text", "minor"), TEXT_CASES, ids=ids(TEXT_CASES))
def test_admin_bonus_form_reads_the_amount_by_the_grammar(desk, alice, asset, text, minor):
    before = wallet(alice, asset).balance

    response = admin_action(
        desk, User, "grant_bonus", [alice.pk], confirm="yes", asset=asset, amount=text, reason="r"
    )

    if minor is None:
        assert response.status_code == 200  # the form again, with the error on the amount
        assert response.context["form"].errors.keys() == {"amount"}
        assert wallet(alice, asset).balance == before
    else:
        assert wallet(alice, asset).balance == before + minor


@pytest.mark.parametrize(("asset", "text", "minor"), TEXT_CASES, ids=ids(TEXT_CASES))
def test_admin_campaign_form_reads_the_amount_by_the_grammar(desk, assets, asset, text, minor):
    response = desk.post(
        reverse("admin:rewards_campaign_add"),
        {"name": "spring", "asset": assets[asset].pk, "amount": text, "audience": "ALL_ACTIVE"}
        | {"min_earn_events": "1", "created_at_0": "2026-01-01", "created_at_1": "12:00:00"},
    )

    if minor is None:
        assert response.status_code == 200
        assert response.context["adminform"].form.errors.keys() == {"amount"}
        assert not Campaign.objects.exists()
    else:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Campaign.objects.get().amount == minor


SIGNED_CASES = [
    ("GOLD", "+5", 5),
    ("GOLD", "5", 5),
    ("GOLD", "-5", -5),
    ("COIN", "-0.25", -25),
    ("COIN", "+5.25", 525),
    ("GOLD", "+-5", None),  # was read as +5
    ("GOLD", "-+5", None),
    ("GOLD", "--5", None),
    ("GOLD", "++5", None),
    ("GOLD", "+ 5", None),
    ("GOLD", " -5", None),
    ("GOLD", "-5 ", None),
    ("GOLD", "-", None),
    ("GOLD", "-0", None),
    ("GOLD", "-1e3", None),
    ("GOLD", "\u22125", None),  # a minus sign, not a hyphen
    ("GOLD", "-5.0", None),
    ("COIN", "-0.255", None),
    ("GOLD", "-0.99999999999999999999999999999", None),
]


@pytest.mark.parametrize(("asset", "text", "minor"), SIGNED_CASES)
def test_admin_adjustment_takes_one_explicit_sign_then_the_grammar(desk, alice, asset, text, minor):
    account = fund(wallet(alice, asset), 10_000)

    response = admin_action(
        desk, Account, "post_adjustment", [account.pk], confirm="yes", amount=text, reason="r"
    )

    if minor is None:
        assert response.status_code == 200
        assert response.context["form"].errors.keys() == {"amount"}
        assert not Transaction.objects.filter(type=TransactionType.ADJUSTMENT).exists()
    else:
        assert wallet(alice, asset).balance == account.balance + minor


UNSIGNED_CASES = [case for case in TEXT_CASES if not case[1].startswith(("+", "-"))]


@pytest.mark.parametrize(("asset", "text", "minor"), UNSIGNED_CASES, ids=ids(UNSIGNED_CASES))
def test_admin_adjustment_reads_unsigned_amounts_by_the_grammar(desk, alice, asset, text, minor):
    account = wallet(alice, asset)

    response = admin_action(
        desk, Account, "post_adjustment", [account.pk], confirm="yes", amount=text, reason="r"
    )

    if minor is None:
        assert response.context["form"].errors.keys() == {"amount"}
        assert wallet(alice, asset).balance == account.balance
    else:
        assert wallet(alice, asset).balance == account.balance + minor


def test_admin_adjustment_checks_the_amount_against_every_selected_wallet(desk, alice):
    wallets = [wallet(alice, "COIN").pk, wallet(alice, "GOLD").pk]

    response = admin_action(
        desk, Account, "post_adjustment", wallets, confirm="yes", amount="2.50", reason="r"
    )

    # 2.50 is fine for COIN but not for GOLD: nothing is posted, not even the COIN half.
    assert response.context["form"].errors.keys() == {"amount"}
    assert not Transaction.objects.filter(type=TransactionType.ADJUSTMENT).exists()


# --- the bulk CSV -----------------------------------------------------------------------


def csv_file(tmp_path, asset: str, amount: str):
    path = tmp_path / "transfers.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["from", "to", "asset", "amount", "reference"])
        writer.writerow(["TREASURY", "alice@example.com", asset, amount, "r-1"])
    return path


@pytest.mark.parametrize(("asset", "text", "minor"), TEXT_CASES, ids=ids(TEXT_CASES))
def test_bulk_csv_reads_the_amount_by_the_grammar(tmp_path, alice, asset, text, minor):
    path = csv_file(tmp_path, asset, text)
    errors = StringIO()

    if minor is None:
        with pytest.raises(CommandError, match="1 bad rows"):
            call_command("bulk_transfer", str(path), "--dry-run", stdout=StringIO(), stderr=errors)
        assert ": Amount" in errors.getvalue()
    else:
        call_command("bulk_transfer", str(path), "--dry-run", stdout=StringIO(), stderr=errors)
        assert errors.getvalue() == ""
        [row] = bulk.read_rows(path, {asset.code: asset for asset in Asset.objects.all()})
        assert row.amount == minor
