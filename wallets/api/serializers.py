import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import BalanceSerializer
from core.amounts import format_amount, to_minor_units
from core.api.fields import WholeNumberField
from core.errors import ValidationError as LedgerValidationError
from core.timestamps import iso
from ledger.models import Account, Asset, ConversionRate, Entry, Hold, Transaction
from ledger.reference import get_asset
from wallets.selectors import HistoryEntry, HistoryRow

MAX_METADATA_BYTES = 4096


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
            {"type": "integer", "minimum": 1},
        ],
        "example": "100",
    }
)
class AmountField(serializers.Field):
    """An amount as a JSON integer or a decimal string; the serializer parses it with the
    asset's scale (core.amounts), which refuses everything else."""

    default_error_messages = {
        "invalid": "Amount must be an integer or a string of digits, not a float."
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return str(value)


@extend_schema_field({"type": "string", "pattern": r"^[A-Z][A-Z0-9_]*$", "example": "GOLD"})
class AssetField(serializers.Field):
    """An active asset, by code; looked up in the process's asset cache, not the database."""

    default_error_messages = {
        "does_not_exist": "Unknown asset {value}.",
        "invalid": "Asset must be an asset code.",
    }

    def to_internal_value(self, data) -> Asset:
        if not isinstance(data, str):
            self.fail("invalid")
        asset = get_asset(data)
        if asset is None:
            self.fail("does_not_exist", value=data)
        return asset

    def to_representation(self, asset: Asset) -> str:
        return asset.code


class MetadataField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Metadata must be a JSON object.")
        if len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"Metadata is limited to {MAX_METADATA_BYTES} bytes.")
        return value


def scaled(amount, asset: Asset, field: str = "amount") -> int:
    try:
        return to_minor_units(amount, scale=asset.scale)
    except LedgerValidationError as error:
        raise serializers.ValidationError({field: [error.message]}) from None


class AmountInSerializer(serializers.Serializer):
    """`asset` and `amount`, with the amount turned into the asset's minor units."""

    asset = AssetField()
    amount = AmountField()

    def validate(self, data: dict) -> dict:
        data["amount"] = scaled(data["amount"], data["asset"])
        return data


class SpendInSerializer(AmountInSerializer):
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    metadata = MetadataField(required=False, default=dict)


class TransferInSerializer(AmountInSerializer):
    to = WholeNumberField(min_value=1, help_text="The recipient's user id.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ConvertInSerializer(serializers.Serializer):
    from_asset = AssetField()
    to_asset = AssetField()
    amount = AmountField(help_text="In the source asset; a whole multiple of the rate.")

    def validate(self, data: dict) -> dict:
        if data["from_asset"] == data["to_asset"]:
            raise serializers.ValidationError({"to_asset": ["Pick a different asset."]})
        data["amount"] = scaled(data["amount"], data["from_asset"])
        return data


class EarnInSerializer(AmountInSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class TopupInSerializer(AmountInSerializer):
    metadata = MetadataField(required=False, default=dict)


class BonusInSerializer(AmountInSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class HoldInSerializer(AmountInSerializer):
    reference = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    expires_in = WholeNumberField(
        min_value=1,
        max_value=90 * 24 * 3600,
        required=False,
        allow_null=True,
        default=None,
        help_text="Seconds until the hold expires and releases itself.",
    )


class CaptureInSerializer(serializers.Serializer):
    amount = AmountField(
        required=False, help_text="At most the held amount; all of it if left out."
    )


class ReverseInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class EntrySerializer(serializers.ModelSerializer):
    asset = serializers.CharField(source="asset.code")
    account = serializers.SerializerMethodField()
    user = serializers.IntegerField(source="account.user_id", allow_null=True)
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = ["asset", "account", "user", "amount", "balance_after"]

    def get_account(self, entry: Entry) -> str:
        account = entry.account
        if account.user_id:
            return "USER"
        return f"{account.purpose}:{account.label}" if account.label else account.purpose

    def get_amount(self, entry: Entry) -> str:
        return format_amount(entry.amount, scale=entry.asset.scale)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_balance_after(self, entry: Entry) -> str | None:
        # Another user's balance is theirs: shown only to them or to staff.
        if entry.balance_after is None or entry.account.user_id not in self.context["visible"]:
            return None
        return format_amount(entry.balance_after, scale=entry.asset.scale)

    def to_representation(self, entry: Entry) -> dict:
        """The declared fields, by hand: see TransactionSerializer.to_representation."""
        account = entry.account
        return {
            "asset": entry.asset.code,
            "account": self.get_account(entry),
            "user": account.user_id,
            "amount": format_amount(entry.amount, scale=entry.asset.scale),
            "balance_after": self.get_balance_after(entry),
        }


class TransactionSerializer(serializers.ModelSerializer):
    entries = serializers.SerializerMethodField()
    balances = serializers.SerializerMethodField(
        help_text="The wallet owner's balances after this transaction, per asset."
    )

    class Meta:
        model = Transaction
        fields = [
            "id",
            "type",
            "reference",
            "description",
            "metadata",
            "created_at",
            "reverses",
            "entries",
            "balances",
        ]

    def _entries(self, txn: Transaction) -> list[Entry]:
        return sorted(txn.entries.all(), key=lambda entry: entry.pk)

    def to_representation(self, txn: Transaction) -> dict:
        """The declared fields, by hand. Every money-moving response is one of these, and
        DRF's generic path (a deep copy of the fields for each object) cost more CPU than
        the posting itself. tests/wallets/api/test_representations.py holds it to the
        generic output."""
        entries = self._entries(txn)
        entry_body = EntrySerializer(context=self.context).to_representation
        return {
            "id": txn.pk,
            "type": txn.type,
            "reference": txn.reference,
            "description": txn.description,
            "metadata": txn.metadata,
            "created_at": iso(txn.created_at),
            "reverses": txn.reverses_id,
            "entries": [entry_body(entry) for entry in entries],
            "balances": self._owner_balances(entries),
        }

    @extend_schema_field(EntrySerializer(many=True))
    def get_entries(self, txn: Transaction) -> list[dict]:
        return EntrySerializer(self._entries(txn), many=True, context=self.context).data

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "string"}, "example": {"GOLD": "70"}}
    )
    def get_balances(self, txn: Transaction) -> dict[str, str]:
        return self._owner_balances(self._entries(txn))

    def _owner_balances(self, entries: list[Entry]) -> dict[str, str]:
        owner_id = self.context["owner_id"]
        return {
            entry.asset.code: format_amount(entry.balance_after, scale=entry.asset.scale)
            for entry in entries
            if entry.account.user_id == owner_id and entry.balance_after is not None
        }


class HistoryEntrySerializer(serializers.ModelSerializer):
    asset = serializers.CharField(source="asset.code")
    amount = serializers.SerializerMethodField()
    balance_after = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = ["asset", "amount", "balance_after"]

    def get_amount(self, entry: Entry) -> str:
        return format_amount(entry.amount, scale=entry.asset.scale)

    def get_balance_after(self, entry: Entry) -> str:
        return format_amount(entry.balance_after, scale=entry.asset.scale)

    def to_representation(self, entry: HistoryEntry) -> dict:
        return history_entry_body(entry)


def history_entry_body(entry: HistoryEntry) -> dict:
    """HistoryEntrySerializer's declared fields, by hand (see
    TransactionSerializer.to_representation), without a serializer per row."""
    scale = entry.asset.scale
    return {
        "asset": entry.asset.code,
        "amount": format_amount(entry.amount, scale=scale),
        "balance_after": format_amount(entry.balance_after, scale=scale),
    }


class HistoryRowSerializer(serializers.ModelSerializer):
    """One row per transaction with only the wallet owner's entries, signed from their side."""

    entries = HistoryEntrySerializer(source="owner_entries", many=True)

    class Meta:
        model = Transaction
        fields = ["id", "type", "reference", "description", "created_at", "entries"]

    def to_representation(self, txn: HistoryRow) -> dict:
        """The declared fields, by hand: a page is up to 200 of these."""
        return {
            "id": txn.pk,
            "type": txn.type,
            "reference": txn.reference,
            "description": txn.description,
            "created_at": iso(txn.created_at),
            "entries": [history_entry_body(entry) for entry in txn.owner_entries],
        }


class WalletBalanceSerializer(BalanceSerializer):
    expiring_30d = serializers.SerializerMethodField(
        help_text="How much of the balance expires in the next 30 days."
    )

    class Meta(BalanceSerializer.Meta):
        fields = [*BalanceSerializer.Meta.fields, "expiring_30d"]

    def get_expiring_30d(self, account: Account) -> str:
        return format_amount(account.expiring, scale=account.asset.scale)

    def to_representation(self, account: Account) -> dict:
        """The declared fields, by hand: the balance read is the API's busiest path
        (see TransactionSerializer.to_representation)."""
        scale = account.asset.scale
        return {
            "asset": account.asset.code,
            "balance": format_amount(account.balance, scale=scale),
            "held": format_amount(account.held, scale=scale),
            "available": format_amount(account.available, scale=scale),
            "status": account.status,
            "expiring_30d": format_amount(account.expiring, scale=scale),
        }


class WalletSerializer(serializers.Serializer):
    """A user's wallets, each with `expiring` set (ledger.selectors.get_user_wallets)."""

    user = serializers.IntegerField()
    wallets = WalletBalanceSerializer(many=True)

    def to_representation(self, instance: dict) -> dict:
        wallet_body = WalletBalanceSerializer().to_representation
        return {"user": instance["user"], "wallets": [wallet_body(w) for w in instance["wallets"]]}


class HoldSerializer(serializers.ModelSerializer):
    asset = serializers.CharField(source="account.asset.code")
    user = serializers.IntegerField(source="account.user_id")
    amount = serializers.SerializerMethodField()
    captured_amount = serializers.SerializerMethodField()

    class Meta:
        model = Hold
        fields = [
            "id",
            "user",
            "asset",
            "amount",
            "captured_amount",
            "status",
            "reference",
            "expires_at",
            "created_at",
            "resolved_at",
            "capture_transaction",
        ]

    def get_amount(self, hold: Hold) -> str:
        return format_amount(hold.amount, scale=hold.account.asset.scale)

    def get_captured_amount(self, hold: Hold) -> str:
        return format_amount(hold.captured_amount, scale=hold.account.asset.scale)


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["code", "name", "scale", "transferable", "expiry_days"]


class ConversionSerializer(serializers.ModelSerializer):
    from_asset = serializers.CharField(source="from_asset.code")
    to_asset = serializers.CharField(source="to_asset.code")
    from_amount = serializers.SerializerMethodField()
    to_amount = serializers.SerializerMethodField()

    class Meta:
        model = ConversionRate
        fields = ["from_asset", "to_asset", "from_amount", "to_amount"]

    def get_from_amount(self, rate: ConversionRate) -> str:
        return format_amount(rate.from_amount, scale=rate.from_asset.scale)

    def get_to_amount(self, rate: ConversionRate) -> str:
        return format_amount(rate.to_amount, scale=rate.to_asset.scale)
