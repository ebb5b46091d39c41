from rest_framework import serializers

from core.amounts import format_amount
from core.api.fields import WholeNumberField
from rewards.leaderboard import PERIODS
from rewards.models import Item, Redemption, Reward, Task
from wallets.api.serializers import AssetField, TransactionSerializer


class PricedSerializer(serializers.ModelSerializer):
    """Shows a minor-unit field as a decimal string in the asset's scale."""

    asset = serializers.CharField(source="asset.code")
    amount_field: str

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data[self.amount_field] = format_amount(
            getattr(instance, self.amount_field), scale=instance.asset.scale
        )
        return data


class TaskSerializer(PricedSerializer):
    amount_field = "reward"
    reward = serializers.CharField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "asset",
            "reward",
            "kind",
            "period",
            "cap",
            "starts_at",
            "ends_at",
        ]


class ItemSerializer(PricedSerializer):
    amount_field = "price"
    price = serializers.CharField()

    class Meta:
        model = Item
        fields = ["id", "name", "description", "asset", "price", "stock"]


class RewardSerializer(PricedSerializer):
    amount_field = "cost"
    cost = serializers.CharField()

    class Meta:
        model = Reward
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "asset",
            "cost",
            "stock",
            "cause",
            "issues_voucher",
        ]


class QuantityInSerializer(serializers.Serializer):
    quantity = WholeNumberField(min_value=1, max_value=100, default=1)


class RedemptionSerializer(serializers.ModelSerializer):
    vouchers = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    reward_name = serializers.CharField(source="reward.name")

    class Meta:
        model = Redemption
        fields = [
            "id",
            "reward",
            "reward_name",
            "quantity",
            "vouchers",
            "transaction",
            "created_at",
        ]


class ActivityInSerializer(serializers.Serializer):
    user = WholeNumberField(min_value=1)
    event = serializers.SlugField(max_length=64)
    reference = serializers.CharField(max_length=255)


class LeaderboardQuerySerializer(serializers.Serializer):
    asset = AssetField()
    period = serializers.ChoiceField(choices=list(PERIODS), default="all")
    limit = WholeNumberField(min_value=1, max_value=100, default=10)


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user = serializers.IntegerField()
    name = serializers.CharField()
    earned = serializers.CharField()


# What a rewards write created, with the ledger transaction it posted under `transaction`:
# the response and the schema both come from these. Comments, not docstrings, on purpose:
# a docstring would become the schema component's description.


class TaskCompletionSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="task_id")
    period = serializers.CharField(source="period_key")
    transaction = TransactionSerializer()


class PurchaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    quantity = serializers.IntegerField()
    transaction = TransactionSerializer()


class CheckInSerializer(serializers.Serializer):
    day = serializers.DateField()
    transaction = TransactionSerializer()


class ActivityEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    event = serializers.CharField()
    reference = serializers.CharField()
    transaction = TransactionSerializer()


class ActivityEventSeenSerializer(ActivityEventSerializer):
    # The same event reported again: the first one, which credited; its own schema name,
    # which generated clients may already use.
    pass
