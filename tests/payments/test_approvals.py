"""Maker–checker in the back office: large adjustments and bonuses wait in the approval
queue; a second staff member approves or rejects them; the requester never can."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ledger.models import Transaction, TransactionType
from payments.models import ApprovalRequest, Withdrawal
from payments.services import withdrawals
from tests.factories import wallet


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": 1000}


def desk(email: str, *, superuser: bool = False) -> tuple[User, Client]:
    user = User.objects.create_user(
        email=email, password="desk-password-1", is_staff=True, is_superuser=superuser
    )
    user.groups.add(Group.objects.get(name="staff"))
    client = Client()
    client.force_login(user)
    return user, client


def act(client: Client, model: str, action: str, ids: list[int], **form):
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], "confirm": "1", **form}
    return client.post(reverse(f"admin:{model}_changelist"), data, follow=True)


def messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_large_adjustment_waits_for_a_second_staff_member(alice, assert_reconciles):
    maker, maker_desk = desk("maker@example.com", superuser=True)
    checker, checker_desk = desk("checker@example.com")
    gold = wallet(alice, "GOLD")

    small = act(maker_desk, "ledger_account", "post_adjustment", [gold.pk], amount="5", reason="r")
    large = act(
        maker_desk, "ledger_account", "post_adjustment", [gold.pk], amount="2000", reason="big"
    )

    assert Transaction.objects.filter(type=TransactionType.ADJUSTMENT).count() == 1
    assert "waiting for a second staff member" in messages(large)
    request = ApprovalRequest.objects.get(kind="adjustment")
    assert (request.status, request.amount, request.requested_by) == ("pending", 2000, maker)
    assert "done for 1 of 1" in messages(small)

    own = act(maker_desk, "payments_approvalrequest", "approve", [request.pk])
    assert "self_approval" in messages(own)
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"

    approved = act(checker_desk, "payments_approvalrequest", "approve", [request.pk])

    assert "done for 1 of 1" in messages(approved)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", checker)
    posted = Transaction.objects.get(pk=request.transaction_id)
    assert posted.type == TransactionType.ADJUSTMENT and posted.initiated_by == maker
    assert wallet(alice, "GOLD").balance == 100 + 5 + 2000
    history = LogEntry.objects.filter(object_id=str(request.pk), user=checker)
    assert history.count() == 1 and "Approved" in history.get().change_message
    assert_reconciles()


def test_a_large_bonus_is_rejected_with_a_reason_and_never_posted(alice):
    _, maker_desk = desk("maker@example.com")
    checker, checker_desk = desk("checker@example.com")
    gold = wallet(alice, "GOLD").asset

    act(
        maker_desk,
        "accounts_user",
        "grant_bonus",
        [alice.pk],
        asset=gold.code,
        amount="5000",
        reason="launch party",
    )
    request = ApprovalRequest.objects.get(kind="bonus")
    without_reason = act(checker_desk, "payments_approvalrequest", "reject", [request.pk])
    rejected = act(
        checker_desk, "payments_approvalrequest", "reject", [request.pk], reason="too generous"
    )

    assert ApprovalRequest.objects.get(pk=request.pk).status == "rejected"
    assert "This field is required" in without_reason.content.decode()
    assert "done for 1 of 1" in messages(rejected)
    assert wallet(alice, "GOLD").balance == 100  # the signup grant only
    assert LogEntry.objects.filter(object_id=str(request.pk), user=checker).exists()


def test_the_queue_opens_on_pending_requests_and_approves_a_withdrawal(rich_alice):
    checker, checker_desk = desk("checker@example.com")
    withdrawal = withdrawals.request_withdrawal(
        user=rich_alice,
        asset=wallet(rich_alice, "COIN").asset,
        amount=5000,
        account_number="NL91ABNA0417164300",
        bank_name="ABN",
        requested_by=rich_alice,
    )
    withdrawals.request_withdrawal(
        user=rich_alice,
        asset=wallet(rich_alice, "COIN").asset,
        amount=10,
        account_number="NL91ABNA0417164300",
        bank_name="ABN",
        requested_by=rich_alice,
    )  # auto-approved: not in the default view of the queue

    queue = checker_desk.get(reverse("admin:payments_approvalrequest_changelist"))
    page = checker_desk.get(reverse("admin:payments_withdrawal_change", args=[withdrawal.pk]))

    assert queue.status_code == 200
    assert list(queue.context["cl"].result_list) == [withdrawal.approval]
    assert "****4300" in page.content.decode()
    assert "0417164300" not in page.content.decode()
    act(checker_desk, "payments_approvalrequest", "approve", [withdrawal.approval.pk])
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == "approved"
