"""Money in and out in the back office. Rows are read-only; every change goes through an
action that calls the same services as the API, after a confirmation, and is logged in
the admin history. The withdrawal's account number is not stored, so no page shows it:
only ****1234.

The approval queue (ApprovalRequest) is where a second staff member approves or rejects
(reason required) withdrawals, adjustments and bonuses above the threshold; the
requester's own decision is refused (self_approval), superusers included."""

from django import forms
from django.contrib import admin
from django.db.models import Min, QuerySet
from unfold.admin import TabularInline
from unfold.widgets import UnfoldAdminTextareaWidget

from accounts import roles
from core.admin import ReasonForm, confirmed_action
from core.amounts import format_amount, to_minor_units
from core.errors import ValidationError
from ledger.admin import ReadOnlyAdmin
from ledger.dashboard import QUEUE_COUNT_LIMIT, Queue, register_queue
from ledger.forms import AmountField
from payments.models import ApprovalRequest, Deposit, Payment, ProviderEvent, Refund, Withdrawal
from payments.providers import get_provider
from payments.providers.simulated import SimulatedProvider
from payments.services import approvals, deposits, payments, withdrawals


class NoteForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),  # styled like ReasonForm's
        help_text="Optional; recorded with the decision and in the admin history.",
    )


class RefundForm(ReasonForm):
    amount = AmountField()


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    amounts = {"amount": "asset"}
    list_display = ["id", "user", "amount", "asset", "status", "provider", "created_at"]
    list_filter = ["status", "provider", "asset"]
    search_fields = ["user__email", "=provider_reference"]
    list_select_related = ["user", "asset"]
    actions = ["simulate_success", "simulate_failure", "expire_overdue"]

    def has_simulate_permission(self, request) -> bool:
        return request.user.has_perm(roles.CREDIT_ANY_WALLET)

    @admin.action(description="Simulated provider: confirm", permissions=["simulate"])
    def simulate_success(self, request, queryset: QuerySet):
        return self._simulate(request, queryset, succeeded=True)

    @admin.action(description="Simulated provider: fail", permissions=["simulate"])
    def simulate_failure(self, request, queryset: QuerySet):
        return self._simulate(request, queryset, succeeded=False)

    @admin.action(description="Expire every overdue pending deposit", permissions=["simulate"])
    def expire_overdue(self, request, queryset: QuerySet):
        expired = deposits.expire_deposits()
        self.message_user(request, f"Expired {expired} overdue deposit(s).")

    def _simulate(self, request, queryset: QuerySet, *, succeeded: bool):
        def perform(deposit: Deposit, data: dict) -> str:
            provider = get_provider(deposit.provider)
            if not isinstance(provider, SimulatedProvider):
                raise ValidationError(f"{deposit.provider} is a real provider.")
            body, headers = provider.signed_callback(
                reference=deposit.provider_reference or "",
                succeeded=succeeded,
                reason=data["reason"],
            )
            outcome = deposits.apply_callback(
                provider_name=deposit.provider, headers=headers, body=body
            )
            return f"Simulated provider callback: {outcome['status']} ({data['reason']})"

        verb = "confirm" if succeeded else "fail"
        return confirmed_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title=f"Simulated provider: {verb}",
            notice=f"Sends a signed `deposit.{'succeeded' if succeeded else 'failed'}` callback "
            "from the simulated provider, as the provider would; a confirmation credits one "
            "TOPUP from the provider's account.",
            perform=perform,
        )


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    amounts = {"amount": "asset"}
    list_display = [
        "id",
        "user",
        "amount",
        "asset",
        "status",
        "masked_account",
        "bank_name",
        "created_at",
    ]
    list_filter = ["status", "asset"]
    search_fields = ["user__email", "=account_last4"]
    list_select_related = ["user", "asset"]
    # Never the fingerprint or the provider's token: neither is for people.
    readonly_fields = [
        "user",
        "asset",
        "amount",
        "status",
        "masked_account",
        "bank_name",
        "hold",
        "approval_status",
        "provider",
        "payout_reference",
        "capture_transaction",
        "reason",
        "requested_by",
        "created_at",
        "updated_at",
    ]
    fields = tuple(readonly_fields)
    actions = ["send", "complete", "fail"]

    @admin.display(description="account number")
    def masked_account(self, withdrawal: Withdrawal) -> str:
        return withdrawal.masked_account

    @admin.display(description="approval")
    def approval_status(self, withdrawal: Withdrawal) -> str:
        approval = getattr(withdrawal, "approval", None)
        if approval is None:
            return "-"
        how = "automatically (below the threshold)" if approval.auto_approved else ""
        return f"#{approval.pk} {approval.status} {how}".strip()

    def has_manage_permission(self, request) -> bool:
        return request.user.has_perm(roles.MANAGE_WITHDRAWALS)

    @admin.action(description="Send approved withdrawals to the provider", permissions=["manage"])
    def send(self, request, queryset: QuerySet):
        return self._act(request, queryset, "Send", withdrawals.send_withdrawal, NoteForm)

    @admin.action(description="Mark sent withdrawals completed", permissions=["manage"])
    def complete(self, request, queryset: QuerySet):
        def complete(*, withdrawal_id: int) -> Withdrawal:
            return withdrawals.complete_withdrawal(
                withdrawal_id=withdrawal_id, completed_by=request.user
            )

        return self._act(request, queryset, "Complete", complete, NoteForm)

    @admin.action(description="Mark sent withdrawals failed", permissions=["manage"])
    def fail(self, request, queryset: QuerySet):
        def fail(*, withdrawal_id: int, reason: str) -> Withdrawal:
            return withdrawals.fail_withdrawal(withdrawal_id=withdrawal_id, reason=reason)

        return self._act(request, queryset, "Fail", fail, ReasonForm, with_reason=True)

    def _act(self, request, queryset, title, service, form_class, *, with_reason=False):
        def perform(withdrawal: Withdrawal, data: dict) -> str:
            extra = {"reason": data["reason"]} if with_reason else {}
            done = service(withdrawal_id=withdrawal.pk, **extra)
            return f"{title}: now {done.status}. {data['reason']}".strip()

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=form_class,
            title=f"{title} withdrawals",
            notice="Moves each selected withdrawal along its state machine; completion "
            "captures the hold into PAYOUT, failure releases it.",
            perform=perform,
        )


class RefundInline(TabularInline):
    model = Refund
    readonly_fields = ["id", "shown_amount", "reason", "transaction", "created_by", "created_at"]
    fields = tuple(readonly_fields)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="amount")
    def shown_amount(self, refund: Refund) -> str:
        return format_amount(refund.amount, scale=refund.payment.asset.scale)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    amounts = {"amount": "asset", "refunded_amount": "asset"}
    list_display = [
        "id",
        "user",
        "order_id",
        "service",
        "amount",
        "refunded_amount",
        "asset",
        "status",
        "created_at",
    ]
    list_filter = ["status", "service", "asset"]
    search_fields = ["=order_id", "user__email"]
    list_select_related = ["user", "asset"]
    inlines = [RefundInline]
    actions = ["refund"]

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm(roles.REFUND_PAYMENT)

    @admin.action(description="Refund (all or part)", permissions=["refund"])
    def refund(self, request, queryset: QuerySet):
        def perform(payment: Payment, data: dict) -> str:
            amount = to_minor_units(data["amount"], scale=payment.asset.scale)
            refunded = payments.refund(
                payment_id=payment.pk,
                amount=amount,
                reason=data["reason"],
                created_by=request.user,
            )
            shown = format_amount(amount, scale=payment.asset.scale)
            return f"Refund #{refunded.pk} of {shown} {payment.asset}: {data['reason']}"

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=RefundForm,
            title="Refund payments",
            notice="Posts a REFUND from REVENUE back to each selected payment's wallet; "
            "refunds never add up past the payment.",
            perform=perform,
        )


class PendingFirst(admin.SimpleListFilter):
    """The queue opens on what waits for a decision."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("all", "All"), *ApprovalRequest.Status.choices]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or ApprovalRequest.Status.PENDING) == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value() or ApprovalRequest.Status.PENDING
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    amounts = {"amount": "account.asset"}
    list_display = [
        "id",
        "kind",
        "status",
        "amount",
        "asset",
        "wallet_owner",
        "requested_by",
        "auto_approved",
        "decided_by",
        "created_at",
    ]
    list_filter = [PendingFirst, "kind", "auto_approved"]
    list_select_related = ["account__asset", "account__user", "requested_by", "decided_by"]
    search_fields = ["account__user__email", "requested_by__email"]
    actions = ["approve", "reject"]

    @admin.display(description="asset")
    def asset(self, approval: ApprovalRequest) -> str:
        return approval.account.asset.code

    @admin.display(description="wallet")
    def wallet_owner(self, approval: ApprovalRequest) -> str:
        user = approval.account.user
        return user.email if user else "-"

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(approvals.DECIDE)

    @admin.action(description="Approve", permissions=["decide"])
    def approve(self, request, queryset: QuerySet):
        def perform(approval: ApprovalRequest, data: dict) -> str:
            approvals.approve(request_id=approval.pk, decided_by=request.user, note=data["reason"])
            return f"Approved {approval.kind} #{approval.pk}. {data['reason']}".strip()

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=NoteForm,
            title="Approve requests",
            notice="Approves each selected request in your name: a withdrawal becomes "
            "approved; an adjustment or bonus is posted. Your own requests are refused.",
            perform=perform,
        )

    @admin.action(description="Reject (reason required)", permissions=["decide"])
    def reject(self, request, queryset: QuerySet):
        def perform(approval: ApprovalRequest, data: dict) -> str:
            approvals.reject(request_id=approval.pk, decided_by=request.user, reason=data["reason"])
            return f"Rejected {approval.kind} #{approval.pk}: {data['reason']}"

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject requests",
            notice="Rejects each selected request: a withdrawal's hold is released; an "
            "adjustment or bonus is never posted.",
            perform=perform,
        )


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "provider", "event_id", "type", "reference", "received_at"]
    list_filter = ["provider", "type"]
    search_fields = ["=event_id", "=reference"]


def pending_approvals() -> Queue:
    """The dashboard's "waiting" panel: requests a second staff member must decide."""
    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).order_by()
    figures = pending.aggregate(oldest=Min("created_at"))
    return Queue(
        label="Approvals waiting for a second staff member",
        size=pending[: QUEUE_COUNT_LIMIT + 1].count(),
        link="admin:payments_approvalrequest_changelist",  # lists pending first
        oldest=figures["oldest"],
    )


register_queue(pending_approvals)
