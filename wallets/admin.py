from django.contrib import admin
from django.db.models import QuerySet
from django.utils.html import format_html

from core.admin import ReasonForm, confirmed_action
from ledger.admin import ReadOnlyAdmin
from ledger.permissions import CREDIT_ANY_WALLET, DEBIT_ANY_WALLET, REVERSE_TRANSACTION
from wallets.inbound.dead_letters import replay_dead_letter
from wallets.models import DeadLetter, ExternalTransaction, IdempotencyRecord, InboxMessage


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "caller", "key", "response_status", "created_at"]
    search_fields = ["key", "caller__email"]
    list_filter = ["response_status"]
    list_select_related = ["caller"]


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "message_id", "occurred_at", "processed_at"]
    search_fields = ["=message_id"]
    list_filter = ["type"]
    date_hierarchy = "processed_at"


@admin.register(ExternalTransaction)
class ExternalTransactionAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "kind", "status", "transaction", "reversal", "hold", "reason"]
    search_fields = ["=external_id"]
    list_filter = ["status", "kind"]
    date_hierarchy = "created_at"


class ReplayedFilter(admin.SimpleListFilter):
    title = "replayed"
    parameter_name = "replayed"

    def lookups(self, request, model_admin):
        return [("no", "Not yet"), ("yes", "Yes")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(replayed_at__isnull=self.value() == "no")
        return queryset


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    """Messages that failed every attempt. Replaying applies one through its handler
    again: once its cause is fixed (the user now exists, the wallet was funded), or to
    check that it was applied since (a message applied before changes nothing)."""

    list_display = ["id", "created_at", "type", "message_key", "attempts", "reason_shown"]
    list_display += ["replayed_at", "replay_result"]
    search_fields = ["=message_key", "type", "reason"]
    list_filter = ["type", ReplayedFilter]
    date_hierarchy = "created_at"
    actions = ["replay"]

    @admin.display(description="reason")
    def reason_shown(self, letter: DeadLetter) -> str:
        return letter.reason if len(letter.reason) <= 120 else letter.reason[:119] + "…"

    def has_replay_permission(self, request) -> bool:
        # A replay posts, reverses or voids like the message would: the powers it uses.
        return request.user.has_perms([CREDIT_ANY_WALLET, DEBIT_ANY_WALLET, REVERSE_TRANSACTION])

    @admin.action(description="Replay messages", permissions=["replay"])
    def replay(self, request, queryset: QuerySet):
        def perform(letter: DeadLetter, data: dict) -> str:
            outcome = replay_dead_letter(letter=letter)
            done = "already applied before" if outcome.duplicate else "applied"
            return f"Replayed: {done}. {data['reason']}"

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Replay messages",
            notice="Applies each selected message again, through the same handler as the "
            "consumer: what it posts is posted as if the message had just arrived. A message "
            "applied before changes nothing. One that still cannot apply is refused and "
            "stays here with the new reason in its replay result.",
            perform=perform,
            describe=lambda letter: format_html(
                "<strong>{}</strong> {} (after {} attempts: {})<pre>{}</pre>",
                letter.type,
                letter.message_key,
                letter.attempts,
                letter.reason,
                letter.body[:2000],
            ),
        )
