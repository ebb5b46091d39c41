import logging

import pytest

from ledger.models import AccountPurpose, Hold, OutboxEvent, Transaction, TransactionType
from ledger.reference import get_asset
from payments.models import ApprovalRequest, Withdrawal
from payments.services import approvals, withdrawals
from tests.api import API, client_for, error_code
from tests.factories import create_role_user, fund, wallet
from tests.threads import outcomes, run_in_threads
from wallets.models import IdempotencyRecord
from wallets.services import get_wallet

NUMBER = "DE89 3704 0044 0532 0130 00"
DESTINATION = {"account_number": NUMBER, "bank_name": "Demo Bank"}


@pytest.fixture(autouse=True)
def _thresholds(settings):
    # 100.00 COIN needs a second pair of eyes; 500.00 COIN a day at most.
    settings.PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": 10_000}
    settings.PAYMENTS_DAILY_WITHDRAWAL_LIMITS = {"DEFAULT": 50_000}


def withdraw(client, amount: str, user: str = "me", **headers):
    return client.post(
        f"{API}wallets/{user}/withdrawals",
        {"asset": "COIN", "amount": amount, "destination": DESTINATION},
        format="json",
        headers=headers,
    )


def test_a_withdrawal_holds_its_amount_at_once_and_masks_the_account(rich_alice, as_alice):
    response = withdraw(as_alice, "150.00")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert body["destination"] == {"account_number": "****3000", "bank_name": "Demo Bank"}
    coin = wallet(rich_alice, "COIN")
    assert (coin.balance, coin.held) == (100_000, 15_000)
    hold = Hold.objects.get(pk=body["hold"])
    assert hold.status == Hold.Status.PENDING and hold.amount == 15_000
    assert body["approval"]["status"] == "pending" and body["approval"]["auto_approved"] is False


def test_the_account_number_is_stored_nowhere_in_full(rich_alice, as_alice, caplog):
    caplog.set_level(logging.DEBUG)
    body = withdraw(as_alice, "10.00", **{"Idempotency-Key": "w-1"}).json()
    digits = "DE89370400440532013000"

    row = Withdrawal.objects.filter(pk=body["id"]).values().get()
    shown = as_alice.get(f"{API}withdrawals/{body['id']}").content.decode()
    stored = [str(v) for v in row.values()]
    stored += [str(e.payload) for e in OutboxEvent.objects.all()]
    stored += [str(r.response_body) for r in IdempotencyRecord.objects.all()]
    assert not any(digits in value or "0532013000" in value for value in stored)
    assert digits not in shown and "****3000" in shown
    assert digits not in caplog.text
    assert row["account_last4"] == "3000" and len(row["account_fingerprint"]) == 64


def test_below_the_threshold_a_withdrawal_is_approved_automatically_and_recorded(
    rich_alice, as_alice
):
    body = withdraw(as_alice, "100.00").json()

    assert body["status"] == "approved"
    approval = ApprovalRequest.objects.get(withdrawal_id=body["id"])
    assert approval.status == "approved" and approval.auto_approved
    assert approval.decided_by is None and approval.decision_reason


def test_full_life_sent_and_completed_captures_into_payout(
    rich_alice, as_alice, staff, checker, assert_reconciles
):
    body = withdraw(as_alice, "150.00").json()
    url = f"{API}withdrawals/{body['id']}"
    as_checker, as_staff = client_for(checker), client_for(staff)

    too_early = as_staff.post(f"{url}/send")
    approved = as_checker.post(f"{url}/approve", {"reason": "known customer"}, format="json")
    sent = as_staff.post(f"{url}/send")
    completed = as_staff.post(f"{url}/complete")

    assert (too_early.status_code, error_code(too_early)) == (409, "approval_required")
    assert approved.json()["status"] == "approved"
    assert approved.json()["approval"]["decided_by"] == checker.pk
    assert sent.json()["status"] == "sent" and sent.json()["payout_reference"]
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    capture = Transaction.objects.get(pk=completed.json()["capture_transaction"])
    assert capture.type == TransactionType.CAPTURE
    assert capture.entries.get(amount=15_000).account.purpose == AccountPurpose.PAYOUT
    coin = wallet(rich_alice, "COIN")
    assert (coin.balance, coin.held) == (85_000, 0)
    again = as_staff.post(f"{url}/complete")
    assert (again.status_code, error_code(again)) == (409, "invalid_state")
    assert_reconciles()


def test_failure_rejection_and_cancellation_release_the_hold(
    rich_alice, as_alice, staff, checker, assert_reconciles
):
    as_staff, as_checker = client_for(staff), client_for(checker)
    failed = withdraw(as_alice, "20.00").json()
    as_staff.post(f"{API}withdrawals/{failed['id']}/send")
    no_reason = as_staff.post(f"{API}withdrawals/{failed['id']}/fail", {}, format="json")
    as_staff.post(
        f"{API}withdrawals/{failed['id']}/fail", {"reason": "bank returned it"}, format="json"
    )
    rejected = withdraw(as_alice, "150.00").json()
    refused = as_checker.post(
        f"{API}withdrawals/{rejected['id']}/reject", {"reason": "suspicious"}, format="json"
    )
    cancelled = withdraw(as_alice, "30.00").json()
    as_alice.post(f"{API}withdrawals/{cancelled['id']}/cancel")

    assert error_code(no_reason) == "validation_error"
    assert refused.json()["status"] == "rejected" and refused.json()["reason"] == "suspicious"
    statuses = dict(Withdrawal.objects.values_list("pk", "status"))
    assert statuses == {
        failed["id"]: "failed",
        rejected["id"]: "rejected",
        cancelled["id"]: "cancelled",
    }
    assert set(Hold.objects.values_list("status", flat=True)) == {Hold.Status.VOIDED}
    coin = wallet(rich_alice, "COIN")
    assert (coin.balance, coin.held) == (100_000, 0)
    assert_reconciles()


def test_the_requester_never_approves_their_own_not_even_a_superuser(rich_alice, assets):
    boss = create_role_user("staff")
    boss.is_superuser = True
    boss.save()
    # A superuser asks for a large withdrawal from alice's wallet, then approves it.
    withdrawal = withdrawals.request_withdrawal(
        user=rich_alice,
        asset=wallet(rich_alice, "COIN").asset,
        amount=20_000,
        account_number="12345678",
        bank_name="Bank",
        requested_by=boss,
    )

    response = client_for(boss).post(f"{API}withdrawals/{withdrawal.pk}/approve")
    by_owner = client_for(rich_alice).post(f"{API}withdrawals/{withdrawal.pk}/approve")

    assert (response.status_code, error_code(response)) == (403, "self_approval")
    assert (by_owner.status_code, error_code(by_owner)) == (403, "permission_denied")
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "requested"


def test_a_staff_owner_cannot_approve_a_withdrawal_from_their_own_wallet(assets, checker):
    owner = create_role_user("staff")
    asset = get_asset("COIN")
    assert asset is not None
    fund(get_wallet(user=owner, asset=asset), 50_000)
    body = withdraw(client_for(owner), "150.00").json()

    own = client_for(owner).post(f"{API}withdrawals/{body['id']}/approve")
    other = client_for(checker).post(f"{API}withdrawals/{body['id']}/approve")

    assert (own.status_code, error_code(own)) == (403, "self_approval")
    assert other.json()["status"] == "approved"


def test_daily_limit_per_asset(rich_alice, as_alice):
    first = withdraw(as_alice, "300.00")
    second = withdraw(as_alice, "200.00")
    third = withdraw(as_alice, "0.01")

    assert first.status_code == second.status_code == 201
    assert (third.status_code, error_code(third)) == (409, "limit_reached")
    assert third.json()["error"]["details"]["remaining"] == "0.00"
    as_alice.post(f"{API}withdrawals/{second.json()['id']}/cancel")
    assert withdraw(as_alice, "100.00").status_code == 201  # a cancelled one no longer counts


def test_withdrawal_errors(rich_alice, bob, as_alice, staff):
    broke = withdraw(client_for(bob), "1.00")
    bad_number = as_alice.post(
        f"{API}wallets/me/withdrawals",
        {
            "asset": "COIN",
            "amount": "1.00",
            "destination": {"account_number": "1!", "bank_name": "B"},
        },
        format="json",
    )
    mine = withdraw(as_alice, "1.00").json()
    bobs_view = client_for(bob).get(f"{API}withdrawals/{mine['id']}")
    staff_cancel = client_for(staff).post(f"{API}withdrawals/{mine['id']}/cancel")
    customer_send = as_alice.post(f"{API}withdrawals/{mine['id']}/send")

    assert (broke.status_code, error_code(broke)) == (409, "insufficient_funds")
    assert (bad_number.status_code, error_code(bad_number)) == (400, "validation_error")
    assert bobs_view.status_code == 404
    assert (staff_cancel.status_code, error_code(staff_cancel)) == (403, "permission_denied")
    assert (customer_send.status_code, error_code(customer_send)) == (403, "permission_denied")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_an_approval_is_never_lost(rich_alice, checker, assert_reconciles):
    """Both take the withdrawal's row lock first. Approval first: the cancel still applies
    (an approved withdrawal may be cancelled until sent). Cancel first: the approval is
    refused with invalid_state. Either way the withdrawal ends cancelled, its hold voided,
    and never approved with its hold released."""
    asset = wallet(rich_alice, "COIN").asset
    orders = []
    for _ in range(6):
        withdrawal = withdrawals.request_withdrawal(
            user=rich_alice,
            asset=asset,
            amount=10_001,
            account_number="12345678",
            bank_name="Bank",
            requested_by=rich_alice,
        )
        approval_id = ApprovalRequest.objects.get(withdrawal=withdrawal).pk

        def race(index: int, withdrawal_id=withdrawal.pk, approval_id=approval_id) -> object:
            if index == 0:
                return withdrawals.cancel_withdrawal(withdrawal_id=withdrawal_id)
            return approvals.approve(request_id=approval_id, decided_by=checker)

        cancel, approve = run_in_threads(2, race)

        assert isinstance(cancel, Withdrawal), cancel
        withdrawal.refresh_from_db()
        approval = ApprovalRequest.objects.get(pk=approval_id)
        assert withdrawal.status == "cancelled"
        assert Hold.objects.get(pk=withdrawal.hold_id).status == Hold.Status.VOIDED
        if isinstance(approve, ApprovalRequest):
            assert approval.status == "approved"  # approved, then cancelled before sending
            orders.append("approve first")
        else:
            assert outcomes([approve]) == {"invalid_state": 1}
            assert approval.status == "cancelled"
            orders.append("cancel first")
    assert wallet(rich_alice, "COIN").held == 0
    assert_reconciles()
