"""What the rewards admin lists export (core.exports streams them)."""

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery
from import_export.fields import Field
from import_export.resources import Resource

from ledger.exports import units
from ledger.models import Entry
from rewards.models import Redemption


class RedemptionResource(Resource):
    id = Field(attribute="id", column_name="id")
    created_at = Field(attribute="created_at", column_name="created_at")
    user = Field(attribute="user__email", column_name="user")
    reward = Field(attribute="reward__name", column_name="reward")
    kind = Field(attribute="reward__kind", column_name="kind")
    quantity = Field(attribute="quantity", column_name="quantity")
    cost = Field(column_name="cost")
    asset = Field(attribute="reward__asset__code", column_name="asset")
    transaction = Field(attribute="transaction_id", column_name="transaction")
    vouchers = Field(column_name="vouchers")

    def dehydrate_cost(self, redemption: Redemption) -> Decimal | None:
        # What the transaction debited, not today's cost of the reward.
        spent = getattr(redemption, "spent", None)
        return None if spent is None else units(-spent, redemption.reward.asset.scale)

    def dehydrate_vouchers(self, redemption: Redemption) -> str:
        return " ".join(voucher.code for voucher in redemption.vouchers.all())


def for_export(redemptions: QuerySet[Redemption]) -> QuerySet[Redemption]:
    debit = Entry.objects.filter(transaction_id=OuterRef("transaction_id"), amount__lt=0)
    return (
        redemptions.select_related("user", "reward__asset")
        .prefetch_related("vouchers")
        .annotate(spent=Subquery(debit.values("amount")[:1]))
    )
