from rest_framework import serializers

from core.amounts import format_amount
from core.api.fields import WholeNumberField
from rewards.leaderboard import PERIODS
from rewards.models import Item, Redemption, Reward, Task
from wallets.api.serializers import AssetField, TransactionSerializer


class PricedSerializer(serializers.ModelSerializer):
    # Shows a minor-unit field as a decimal string in the asset's scale. A comment, not a
    # docstring: a docstring would describe every subclass's schema component.
    asset = serializers.CharField(source="asset.code")
    amount_field: str

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data[self.amount_field] = format_amount(
            getattr(instance, self.amount_field), scale=instance.asset.scale
        )
        return data


class TaskSerializer(PricedSerializer):
    """A task that credits `reward` of `asset` when completed: once, daily, or up to `cap`
    times per `period`."""

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
    """An item for sale at `price` of `asset`; `stock` null means unlimited."""

    amount_field = "price"
    price = serializers.CharField()

    class Meta:
        model = Item
        fields = ["id", "name", "description", "asset", "price", "stock"]


class RewardSerializer(PricedSerializer):
    """A reward redeemable for `cost` of `asset`; `stock` null means unlimited."""

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
# the response and the schema both come from these.


class TaskCompletionSerializer(serializers.Serializer):
    """A completed task: the period it counted in and the EARN it posted."""

    task = serializers.IntegerField(source="task_id")
    period = serializers.CharField(source="period_key")
    transaction = TransactionSerializer()


class PurchaseSerializer(serializers.Serializer):
    """A purchase and the SPEND it posted."""

    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    quantity = serializers.IntegerField()
    transaction = TransactionSerializer()


class CheckInSerializer(serializers.Serializer):
    """The day's check-in and the EARN it posted."""

    day = serializers.DateField()
    transaction = TransactionSerializer()


class ActivityEventSerializer(serializers.Serializer):
    """A reported activity and the EARN it posted."""

    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    event = serializers.CharField()
    reference = serializers.CharField()
    transaction = TransactionSerializer()


class ActivityEventSeenSerializer(ActivityEventSerializer):
    """The same activity reported again: the first report and its EARN; nothing more was
    credited."""

    # A subclass only for its own schema name, which generated clients may already use.
