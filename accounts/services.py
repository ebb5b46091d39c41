"""Writes about users: signup opens their wallets and posts the signup grants; login and
refresh issue JWT pairs, each refresh token usable once."""

import uuid
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import roles
from accounts.errors import TokenRefused
from accounts.models import RefreshTokenFamily, User
from core.errors import ValidationError
from ledger.models import AccountPurpose, TransactionType
from ledger.services import credit, open_user_accounts


def register_user(*, email: str, password: str | None, name: str = "") -> User:
    """Create a customer with a wallet for every active asset and the signup grants.

    The grants are BONUS transactions from the BONUS system account, each with an
    idempotency key naming the user, so the ledger balances and a grant is never
    paid twice. A password the AUTH_PASSWORD_VALIDATORS refuse raises ValidationError
    naming `password`.
    """
    with transaction.atomic(durable=True):
        return create_customer(email=email, password=password, name=name)


def create_customer(*, email: str, password: str | None, name: str = "") -> User:
    """register_user's work, in the caller's database transaction (the event consumer
    writes the user and the message's inbox row in one). Raises IntegrityError when the
    email is taken, ValidationError when the password is refused."""
    try:
        user = User.objects.create_user(email=email, password=password, name=name)
    except DjangoValidationError as refused:
        raise ValidationError(details=refused.message_dict) from None
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


# Claims rotation copies (it renews only jti, exp, iat): the token's family, and a
# fingerprint of the password it was issued under, so a password change ends every
# session opened before it (as Django's session auth hash does for cookie sessions).
FAMILY_CLAIM = "fam"
PASSWORD_CLAIM = "pwd"


def _password_fingerprint(user: User) -> str:
    return user.get_session_auth_hash()[:16]


class TokenPair(TypedDict):
    access: str
    refresh: str


def issue_token_pair(*, user: User) -> TokenPair:
    """Log the user in: open a new token family whose first refresh token is its current one.

    The user's families that expired or were revoked are deleted on the way, so the
    table holds only live sessions plus the revoked ones still inside their lifetime.
    """
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    RefreshTokenFamily.objects.filter(user=user, expires_at__lt=user.last_login).delete()
    refresh = RefreshToken.for_user(user)
    family = RefreshTokenFamily.objects.create(
        user=user,
        current_jti=refresh[jwt_settings.JTI_CLAIM],
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    refresh[FAMILY_CLAIM] = str(family.pk)
    refresh[PASSWORD_CLAIM] = _password_fingerprint(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def rotate_refresh_token(*, refresh: str) -> TokenPair:
    """Exchange the current refresh token of a family for a new pair, exactly once.

    The family's row is locked for the exchange, so of any number of concurrent uses of
    one token exactly one succeeds. Presenting a token of the family that is no longer
    current means a copy of it is in other hands (or two clients share it): the family is
    revoked, so the newer tokens stop working too and the user logs in again (OAuth 2.1
    refresh token reuse detection). A token issued before the user's password last
    changed revokes its family too. Raises TokenRefused for any token not exchanged.
    """
    try:
        token = RefreshToken(refresh)
        family_id = uuid.UUID(str(token.get(FAMILY_CLAIM)))
    except (TokenError, ValueError):
        raise TokenRefused() from None
    with transaction.atomic(durable=True):
        family = (
            RefreshTokenFamily.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=family_id, revoked_at__isnull=True)
            .first()
        )
        if family is None or not family.user.is_active:
            raise TokenRefused()
        # A refusal that revokes is raised after the block, so the revocation commits.
        if token.get(PASSWORD_CLAIM) != _password_fingerprint(family.user):
            _revoke(family)
            refusal = "The password changed since this session began; log in again."
        elif family.current_jti != token[jwt_settings.JTI_CLAIM]:
            _revoke(family)
            refusal = "This refresh token was used before; log in again."
        else:
            return _rotate(family, token)
    raise TokenRefused(refusal)


def _rotate(family: RefreshTokenFamily, token: RefreshToken) -> TokenPair:
    token.set_jti()
    token.set_exp()
    token.set_iat()
    family.current_jti = token[jwt_settings.JTI_CLAIM]
    family.expires_at = datetime_from_epoch(token["exp"])
    family.rotated_at = timezone.now()
    family.save(update_fields=["current_jti", "expires_at", "rotated_at"])
    return {"access": str(token.access_token), "refresh": str(token)}


def _revoke(family: RefreshTokenFamily) -> None:
    revoke_token_families(families=RefreshTokenFamily.objects.filter(pk=family.pk))


def revoke_token_families(*, families: QuerySet[RefreshTokenFamily]) -> int:
    """Log these sessions out: their refresh tokens stop working (access tokens already
    issued live out their lifetime). Returns how many were still live."""
    return families.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
