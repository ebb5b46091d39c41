"""Writes about users: signup opens their wallets and posts the signup grants."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import User
from ledger.models import AccountPurpose, TransactionType
from ledger.services import credit, open_user_accounts


def register_user(*, email: str, password: str | None, name: str = "") -> User:
    """Create a customer with a wallet for every active asset and the signup grants.

    The grants are BONUS transactions from the BONUS system account, each with an
    idempotency key naming the user, so the ledger balances and a grant is never
    paid twice.
    """
    with transaction.atomic(durable=True):
        user = User.objects.create_user(email=email, password=password, name=name)
        user.groups.add(Group.objects.get_or_create(name=roles.CUSTOMER)[0])
        grant_signup_bonus(user=user)
    return user


def grant_signup_bonus(*, user: User) -> None:
    """Open the user's wallets and post each configured signup grant once."""
    wallets = {account.asset.code: account for account in open_user_accounts(user=user)}
    for code, amount in settings.SIGNUP_GRANTS.items():
        if code not in wallets:
            continue  # asset not set up (or inactive) here: nothing to grant
        credit(
            account=wallets[code],
            amount=amount,
            type=TransactionType.BONUS,
            source=AccountPurpose.BONUS,
            idempotency_key=f"signup-grant:{user.pk}:{code}",
            reference=f"signup:{user.pk}",
            description="Signup grant",
        )
