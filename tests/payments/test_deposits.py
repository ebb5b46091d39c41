import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger.models import Account, AccountPurpose, OutboxEvent, Transaction, TransactionType
from payments.models import Deposit
from payments.services import deposits
from tests.api import API, client_for, error_code
from tests.factories import wallet
from tests.payments.conftest import post_callback, simulated
from tests.threads import outcomes, run_in_threads
from wallets.inbound.handlers import handle
from wallets.inbound.messages import Message, PoisonMessage
from wallets.models import ExternalTransaction

CARD = {"type": "card", "id": "pm_card_visa"}


def open_deposit(client, amount="25.00", asset="COIN") -> dict:
    response = client.post(
        f"{API}wallets/me/deposits",
        {"asset": asset, "amount": amount, "payment_method": CARD},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_deposit_is_pending_with_the_providers_reference_and_credits_nothing(alice, as_alice):
    body = open_deposit(as_alice)

    assert body["status"] == "pending"
    assert body["provider"] == "simulated"
    assert body["provider_reference"].startswith("sim_dep_")
    assert body["amount"] == "25.00" and body["payment_method"] == CARD
    assert body["transaction"] is None
    assert wallet(alice, "COIN").balance == 0
    assert OutboxEvent.objects.filter(topic="wallet.deposit.pending").count() == 1


def test_signed_callback_credits_one_topup_from_the_providers_account(
    alice, as_alice, assert_reconciles
):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice)["id"])

    response = post_callback(deposit)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "event": response.json()["event"],
        "deposit": deposit.pk,
        "status": "succeeded",
        "duplicate": False,
    }
    deposit.refresh_from_db()
    txn = Transaction.objects.get(pk=deposit.transaction_id)
    assert txn.type == TransactionType.TOPUP
    source = txn.entries.get(amount=-2500).account
    assert (source.purpose, source.label) == (AccountPurpose.PROVIDER, "simulated")
    assert wallet(alice, "COIN").balance == 2500
    shown = as_alice.get(f"{API}deposits/{deposit.pk}").json()
    assert shown["status"] == "succeeded" and shown["transaction"] == txn.pk
    assert_reconciles()


def test_confirming_twice_or_replaying_the_callback_credits_once(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice)["id"])
    body, headers = simulated().signed_callback(
        reference=deposit.provider_reference, succeeded=True
    )

    def send():
        return client_for().generic(
            "POST",
            f"{API}providers/simulated/callback",
            body,
            content_type="application/json",
            headers=headers,
        )

    first, replayed, another_event = send(), send(), post_callback(deposit)

    assert first.json()["duplicate"] is False and replayed.json()["duplicate"] is True
    assert another_event.status_code == 200 and another_event.json()["status"] == "succeeded"
    assert Transaction.objects.filter(type=TransactionType.TOPUP).count() == 1
    assert wallet(alice, "COIN").balance == 2500


def test_a_bad_signature_or_a_stale_timestamp_is_refused(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice)["id"])
    body, _ = simulated().signed_callback(reference=deposit.provider_reference, succeeded=True)
    tampered = body.replace(b"deposit.succeeded", b"deposit.failed")

    forged = post_callback(deposit, body=tampered)
    stale = post_callback(deposit, at=int(time.time()) - 3600)
    unsigned = client_for().post(
        f"{API}providers/simulated/callback", json.loads(body), format="json"
    )
    unknown = client_for().post(f"{API}providers/nosuch/callback", {}, format="json")

    assert (forged.status_code, error_code(forged)) == (403, "permission_denied")
    assert (stale.status_code, error_code(stale)) == (403, "permission_denied")
    assert (unsigned.status_code, error_code(unsigned)) == (403, "permission_denied")
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")
    deposit.refresh_from_db()
    assert deposit.status == "pending" and wallet(alice, "COIN").balance == 0


def test_a_failed_deposit_credits_nothing_and_cannot_succeed_later(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice)["id"])

    failed = post_callback(deposit, succeeded=False)
    late = post_callback(deposit)

    assert failed.json()["status"] == "failed"
    assert (late.status_code, error_code(late)) == (409, "invalid_state")
    assert late.json()["error"]["details"] == {"status": "failed"}
    assert wallet(alice, "COIN").balance == 0


def test_expiry_job_expires_overdue_deposits_and_a_later_confirmation_is_refused(alice, as_alice):
    overdue = Deposit.objects.get(pk=open_deposit(as_alice)["id"])
    fresh = Deposit.objects.get(pk=open_deposit(as_alice)["id"])
    Deposit.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    call_command("expire_deposits")
    late = post_callback(overdue)

    assert Deposit.objects.get(pk=overdue.pk).status == "expired"
    assert Deposit.objects.get(pk=fresh.pk).status == "pending"
    assert (late.status_code, error_code(late)) == (409, "invalid_state")
    assert wallet(alice, "COIN").balance == 0


def test_a_transaction_completed_event_confirms_the_deposit_once(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice, amount="10.00")["id"])
    data = {
        "transaction_id": deposit.provider_reference,
        "kind": "topup",
        "to": alice.pk,
        "asset": "COIN",
        "amount": "10.00",
    }

    first = handle(Message(id="m-1", type="transaction.completed", data=data))
    again = handle(Message(id="m-2", type="transaction.completed", data=data))

    deposit.refresh_from_db()
    assert deposit.status == "succeeded"
    assert first.result["wallet_transaction"] == deposit.transaction_id
    assert again.result["wallet_transaction"] == deposit.transaction_id
    assert Transaction.objects.filter(type=TransactionType.TOPUP).count() == 1
    assert wallet(alice, "COIN").balance == 1000


def test_a_transaction_failed_event_fails_the_pending_deposit_and_its_late_completion(
    alice, as_alice
):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice, amount="10.00")["id"])
    reference = deposit.provider_reference
    completion = {"transaction_id": reference, "kind": "topup", "to": alice.pk}

    failed = handle(
        Message(
            id="m-f", type="transaction.failed", data={"transaction_id": reference, "reason": "3DS"}
        )
    )
    late = handle(
        Message(
            id="m-c",
            type="transaction.completed",
            data={**completion, "asset": "COIN", "amount": "10.00"},
        )
    )
    callback = post_callback(deposit)

    deposit.refresh_from_db()
    assert (deposit.status, deposit.failure_reason) == ("failed", "3DS")
    assert (failed.result["status"], late.result["status"]) == ("failed", "ignored")
    assert (callback.status_code, error_code(callback)) == (409, "invalid_state")
    assert wallet(alice, "COIN").balance == 0
    assert not Transaction.objects.filter(type=TransactionType.TOPUP).exists()


def test_a_transaction_failed_event_for_a_credited_deposit_is_refused(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice, amount="10.00")["id"])
    assert post_callback(deposit).status_code == 200
    failure = {"transaction_id": deposit.provider_reference}

    with pytest.raises(PoisonMessage, match="invalid_state"):
        handle(Message(id="m-f", type="transaction.failed", data=failure))

    assert Deposit.objects.get(pk=deposit.pk).status == "succeeded"
    assert wallet(alice, "COIN").balance == 1000
    assert not ExternalTransaction.objects.filter(external_id=deposit.provider_reference).exists()


def test_a_completion_for_an_expired_deposit_is_rejected_not_posted(alice, as_alice):
    deposit = Deposit.objects.get(pk=open_deposit(as_alice)["id"])
    Deposit.objects.filter(pk=deposit.pk).update(expires_at=timezone.now())
    deposits.expire_deposits()
    data = {
        "transaction_id": deposit.provider_reference,
        "kind": "topup",
        "to": alice.pk,
        "asset": "COIN",
        "amount": "25.00",
    }

    outcome = handle(Message(id="m-3", type="transaction.completed", data=data))

    assert outcome.result["status"] == "rejected"
    assert outcome.result["reason"] == "invalid_state"
    assert wallet(alice, "COIN").balance == 0


def test_deposit_input_and_access_errors(alice, bob, as_alice):
    bad_method = as_alice.post(
        f"{API}wallets/me/deposits",
        {"asset": "COIN", "amount": "1.00", "payment_method": {"type": "card"}},
        format="json",
    )
    too_precise = as_alice.post(
        f"{API}wallets/me/deposits",
        {"asset": "COIN", "amount": "1.001", "payment_method": CARD},
        format="json",
    )
    theirs = open_deposit(client_for(bob))

    assert (bad_method.status_code, error_code(bad_method)) == (400, "validation_error")
    assert (too_precise.status_code, error_code(too_precise)) == (400, "validation_error")
    assert as_alice.get(f"{API}deposits/{theirs['id']}").status_code == 404
    others = as_alice.post(
        f"{API}wallets/{bob.pk}/deposits",
        {"asset": "COIN", "amount": "1.00", "payment_method": CARD},
        format="json",
    )
    assert others.status_code == 404


def test_deposit_honours_idempotency_key(alice, as_alice):
    request = {"asset": "COIN", "amount": "5.00", "payment_method": CARD}
    first = as_alice.post(
        f"{API}wallets/me/deposits", request, format="json", headers={"Idempotency-Key": "d-1"}
    )
    again = as_alice.post(
        f"{API}wallets/me/deposits", request, format="json", headers={"Idempotency-Key": "d-1"}
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert Deposit.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_callback_racing_the_expiry_either_credits_once_or_expires(alice, assert_reconciles):
    coin = wallet(alice, "COIN").asset
    for _ in range(5):
        deposit = deposits.create_deposit(
            user=alice, asset=coin, amount=100, payment_method=CARD, provider_name="simulated"
        )
        Deposit.objects.filter(pk=deposit.pk).update(expires_at=timezone.now())
        body, headers = simulated().signed_callback(
            reference=deposit.provider_reference, succeeded=True
        )

        def race(index: int, body=body, headers=headers) -> object:
            if index == 0:
                return deposits.expire_deposits()
            return deposits.apply_callback(provider_name="simulated", headers=headers, body=body)

        results = run_in_threads(2, race)

        deposit.refresh_from_db()
        credited = Transaction.objects.filter(metadata__deposit_id=deposit.pk).count()
        if deposit.status == "succeeded":
            assert results[0] == 0 and credited == 1
        else:
            assert deposit.status == "expired" and credited == 0
            assert outcomes([results[1]]) == {"invalid_state": 1}
    balance = Account.objects.get(pk=wallet(alice, "COIN").pk).balance
    assert balance == 100 * Deposit.objects.filter(status="succeeded").count()
    assert_reconciles()
