"""Input and output of the money-in-and-out API. Amounts as in the wallet API: in, a JSON
integer or a decimal string within the asset's scale; out, a decimal string."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from core.amounts import format_amount
from payments.models import Deposit, Payment, Refund, Withdrawal
from wallets.api.serializers import AmountField, AmountInSerializer, TransactionSerializer, scaled

SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class PaymentMethodSerializer(serializers.Serializer):
    type = serializers.RegexField(r"^[a-z][a-z_]*$", max_length=32, help_text="e.g. `card`.")
    id = serializers.RegexField(SLUG, max_length=100, help_text="The provider's method token.")


class DepositInSerializer(AmountInSerializer):
    payment_method = PaymentMethodSerializer()


class DestinationInSerializer(serializers.Serializer):
    account_number = serializers.CharField(
        max_length=64, help_text="Shown only masked (****1234) once the withdrawal exists."
    )
    bank_name = serializers.CharField(max_length=100)


class WithdrawalInSerializer(AmountInSerializer):
    destination = DestinationInSerializer()


class PaymentInSerializer(AmountInSerializer):
    order_id = serializers.RegexField(SLUG, max_length=100)
    service = serializers.RegexField(
        SLUG, max_length=64, help_text="The service paid, e.g. `food`."
    )


class RefundInSerializer(serializers.Serializer):
    amount = AmountField()
    reason = serializers.CharField(max_length=500)


class ReasonInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class NoteInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def shown(amount: int, obj) -> str:
    return format_amount(amount, scale=obj.asset.scale)


class MoneySerializer(serializers.ModelSerializer):
    """`asset` as its code and `amount` as a decimal string."""

    asset = serializers.CharField(source="asset.code")
    amount = serializers.SerializerMethodField()

    def get_amount(self, obj) -> str:
        return shown(obj.amount, obj)


class DepositSerializer(MoneySerializer):
    payment_method = serializers.SerializerMethodField()

    class Meta:
        model = Deposit
        fields = [
            "id",
            "user",
            "asset",
            "amount",
            "status",
            "provider",
            "provider_reference",
            "payment_method",
            "transaction",
            "failure_reason",
            "created_at",
            "expires_at",
            "resolved_at",
        ]

    @extend_schema_field(PaymentMethodSerializer)
    def get_payment_method(self, deposit: Deposit) -> dict:
        return {"type": deposit.payment_method_type, "id": deposit.payment_method_id}


class DestinationSerializer(serializers.Serializer):
    account_number = serializers.CharField(help_text="Masked: ****1234.")
    bank_name = serializers.CharField()


class ApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    auto_approved = serializers.BooleanField()
    requested_by = serializers.IntegerField(source="requested_by_id", allow_null=True)
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class WithdrawalSerializer(MoneySerializer):
    destination = serializers.SerializerMethodField()
    approval = ApprovalSerializer(read_only=True)

    class Meta:
        model = Withdrawal
        fields = [
            "id",
            "user",
            "asset",
            "amount",
            "status",
            "destination",
            "hold",
            "approval",
            "payout_reference",
            "capture_transaction",
            "reason",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(DestinationSerializer)
    def get_destination(self, withdrawal: Withdrawal) -> dict:
        return {"account_number": withdrawal.masked_account, "bank_name": withdrawal.bank_name}


class RefundSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "reason", "transaction", "created_by", "created_at"]

    def get_amount(self, refund: Refund) -> str:
        return shown(refund.amount, refund.payment)


class PaymentSerializer(MoneySerializer):
    refunded_amount = serializers.SerializerMethodField()
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "user",
            "asset",
            "amount",
            "refunded_amount",
            "status",
            "order_id",
            "service",
            "transaction",
            "refunds",
            "created_at",
        ]

    def get_refunded_amount(self, payment: Payment) -> str:
        return shown(payment.refunded_amount, payment)


class PaymentCreatedSerializer(PaymentSerializer):
    """The 201 of a payment: the payment with its SPEND transaction in full."""

    transaction = TransactionSerializer(read_only=True)


class RefundCreatedSerializer(RefundSerializer):
    """The 201 of a refund: the refund with its REFUND transaction in full."""

    transaction = TransactionSerializer(read_only=True)


class CallbackResultSerializer(serializers.Serializer):
    event = serializers.CharField()
    deposit = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Deposit.Status.choices)
    duplicate = serializers.BooleanField(help_text="The event id was applied before.")


def scaled_amount(data: dict, asset) -> int:
    return scaled(data["amount"], asset)


EXAMPLES = {
    "deposit": OpenApiExample(
        "card deposit",
        value={
            "asset": "COIN",
            "amount": "25.00",
            "payment_method": {"type": "card", "id": "pm_1"},
        },
        request_only=True,
    ),
    "withdrawal": OpenApiExample(
        "to a bank account",
        value={
            "asset": "COIN",
            "amount": "10.00",
            "destination": {"account_number": "DE89370400440532013000", "bank_name": "Demo Bank"},
        },
        request_only=True,
    ),
    "payment": OpenApiExample(
        "an order",
        value={"asset": "COIN", "amount": "12.50", "order_id": "order-1001", "service": "food"},
        request_only=True,
    ),
    "refund": OpenApiExample(
        "partial refund", value={"amount": "2.50", "reason": "missing item"}, request_only=True
    ),
}
