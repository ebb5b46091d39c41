from django.contrib import admin

from ledger.admin import ReadOnlyAdmin
from wallets.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "caller", "key", "response_status", "created_at"]
    search_fields = ["key", "caller__email"]
    list_filter = ["response_status"]
    list_select_related = ["caller"]
