from rest_framework import serializers

from accounts.models import User
from core.amounts import format_amount
from ledger.models import Account


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "roles", "date_joined"]

    def get_roles(self, user: User) -> list[str]:
        return sorted(group.name for group in user.groups.all())


class BalanceSerializer(serializers.ModelSerializer):
    """A wallet's balance; amounts as decimal strings in the asset's scale."""

    asset = serializers.CharField(source="asset.code")
    balance = serializers.SerializerMethodField()
    held = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = ["asset", "balance", "held", "available", "status"]

    def get_balance(self, account: Account) -> str:
        return format_amount(account.balance, scale=account.asset.scale)

    def get_held(self, account: Account) -> str:
        return format_amount(account.held, scale=account.asset.scale)

    def get_available(self, account: Account) -> str:
        return format_amount(account.available, scale=account.asset.scale)


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_email(self, email: str) -> str:
        email = email.lower()
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return email


class SignupResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    wallets = BalanceSerializer(many=True)


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()
