"""Test data built through the real services: value enters a test only by posting."""

import itertools

from accounts.models import User
from accounts.services import register_user
from ledger.models import (
    Account,
    AccountPurpose,
    Asset,
    ConversionRate,
    Transaction,
    TransactionType,
)
from ledger.services import credit, debit

_emails = itertools.count(1)

ASSETS = [
    {"code": "SILVER", "name": "Silver"},
    {"code": "GOLD", "name": "Gold"},
    {"code": "DIAMOND", "name": "Diamond"},
    {"code": "CITY_POINTS", "name": "CityPoints", "expiry_days": 365},
    {"code": "COIN", "name": "Game Coin", "scale": 2, "transferable": True},
]


def create_assets() -> dict[str, Asset]:
    assets = {spec["code"]: Asset.objects.create(**spec) for spec in ASSETS}
    ConversionRate.objects.create(
        from_asset=assets["SILVER"], to_asset=assets["GOLD"], from_amount=50, to_amount=1
    )
    ConversionRate.objects.create(
        from_asset=assets["GOLD"], to_asset=assets["DIAMOND"], from_amount=50, to_amount=1
    )
    return assets


def create_user(email: str | None = None, password: str = "a-long-test-password") -> User:
    return register_user(email=email or f"user{next(_emails)}@example.com", password=password)


def wallet(user: User, code: str) -> Account:
    return Account.objects.select_related("asset").get(user=user, asset__code=code)


def fund(account: Account, amount: int, *, type: str = TransactionType.TOPUP) -> Account:
    """Top a wallet up from the treasury and return it fresh from the database."""
    credit(account=account, amount=amount, type=type, source=AccountPurpose.TREASURY)
    return Account.objects.select_related("asset").get(pk=account.pk)


def create_role_user(role: str, email: str | None = None) -> User:
    """A user in a role group (service, support, staff) with no wallets of its own."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user(
        email=email or f"{role}{next(_emails)}@example.com", password="a-long-test-password"
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def spend(user: User, amount: int, code: str = "GOLD") -> Transaction:
    """A SPEND from the user's wallet to revenue."""
    return debit(
        account=wallet(user, code),
        amount=amount,
        type=TransactionType.SPEND,
        destination=AccountPurpose.REVENUE,
    )


def earn(user: User, amount: int, code: str = "SILVER") -> Transaction:
    """An EARN from the rewards account into the user's wallet."""
    return credit(
        account=wallet(user, code),
        amount=amount,
        type=TransactionType.EARN,
        source=AccountPurpose.REWARDS,
    )
