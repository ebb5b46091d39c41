"""User-facing wallet operations: a user and an asset in, a ledger operation out.

Each names the system account the value comes from or goes to, and leaves the
posting to the ledger's services (and so to the one posting engine).
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from core.cache import ProcessCache
from core.errors import ValidationError
from ledger import services as ledger
from ledger.models import Account, AccountPurpose, Asset, Hold, Transaction, TransactionType
from ledger.reference import asset_by_id

# A wallet's id never changes once its row exists: (user id, asset id) -> account id.
_wallet_ids: ProcessCache[int] = ProcessCache("wallet-ids", max_entries=100_000)


def get_wallet(*, user: User, asset: Asset) -> Account:
    """The user's wallet for the asset, opened on first use for assets added after signup.

    Only its identity is filled in (id, user, asset): its balance, holds and status
    are read under the posting engine's lock, never from this object.
    """
    key = (user.pk, asset.pk)
    pk = _wallet_ids.get(key)
    if pk is None:
        pk = Account.objects.filter(user=user, asset=asset).values_list("pk", flat=True).first()
        if pk is None:
            if not asset.active:
                raise ValidationError(f"Asset {asset.code} is not active.")
            ledger.open_user_accounts(user=user)
            pk = Account.objects.values_list("pk", flat=True).get(user=user, asset=asset)
        _wallet_ids.put_on_commit(key, pk)
    return Account(pk=pk, user_id=user.pk, asset=asset, purpose=AccountPurpose.USER)


def get_wallets(*, user_ids: set[int], asset_ids: set[int]) -> dict[tuple[int, int], Account]:
    """Many users' wallets at once, keyed (user id, asset id); opens any that are missing.
    Wallets of one asset share the process's one Asset object (ledger.reference)."""
    wallets = {}
    for wallet in Account.objects.filter(user_id__in=user_ids, asset_id__in=asset_ids):
        wallet.asset = asset_by_id(wallet.asset_id)
        wallets[wallet.user_id, wallet.asset_id] = wallet
    for user_id in {uid for uid in user_ids for aid in asset_ids if (uid, aid) not in wallets}:
        for wallet in ledger.open_user_accounts(user=User(pk=user_id)):
            wallets[user_id, wallet.asset_id] = wallet
    return wallets


def spend(
    *,
    user: User,
    asset: Asset,
    amount: int,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: User | None = None,
    idempotency_key: str | None = None,
    reference: str = "",
) -> Transaction:
    return ledger.debit(
        account=get_wallet(user=user, asset=asset),
        amount=amount,
        type=TransactionType.SPEND,
        destination=AccountPurpose.REVENUE,
        description=description,
        metadata=metadata or {},
        initiated_by=initiated_by,
        idempotency_key=idempotency_key,
        reference=reference,
    )


def transfer(
    *,
    sender: User,
    recipient: User,
    asset: Asset,
    amount: int,
    note: str = "",
    initiated_by: User | None = None,
    idempotency_key: str | None = None,
    reference: str = "",
    metadata: dict[str, Any] | None = None,
) -> Transaction:
    if sender.pk == recipient.pk:
        raise ValidationError("Cannot transfer to yourself.", details={"to": ["Same user."]})
    return ledger.transfer(
        source=get_wallet(user=sender, asset=asset),
        destination=get_wallet(user=recipient, asset=asset),
        amount=amount,
        description=note,
        metadata={**(metadata or {}), **({"note": note} if note else {})},
        initiated_by=initiated_by,
        idempotency_key=idempotency_key,
        reference=reference,
    )


def convert(
    *,
    user: User,
    from_asset: Asset,
    to_asset: Asset,
    amount: int,
    initiated_by: User | None = None,
) -> Transaction:
    return ledger.convert(
        source=get_wallet(user=user, asset=from_asset),
        destination=get_wallet(user=user, asset=to_asset),
        amount=amount,
        initiated_by=initiated_by,
    )


# Where each kind of credit comes from.
CREDIT_SOURCES = {
    TransactionType.EARN: AccountPurpose.REWARDS,
    TransactionType.TOPUP: AccountPurpose.TREASURY,
    TransactionType.BONUS: AccountPurpose.BONUS,
}


def credit_wallet(
    *,
    user: User,
    asset: Asset,
    amount: int,
    type: str,
    reason: str = "",
    reference: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: User | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """EARN (from REWARDS), TOPUP (from TREASURY) or BONUS (from BONUS) into a user's wallet."""
    return ledger.credit(
        account=get_wallet(user=user, asset=asset),
        amount=amount,
        type=type,
        source=CREDIT_SOURCES[type],
        description=reason,
        reference=reference,
        metadata=metadata or {},
        initiated_by=initiated_by,
        idempotency_key=idempotency_key,
    )


def place_hold(
    *,
    user: User,
    asset: Asset,
    amount: int,
    reference: str = "",
    expires_in: int | None = None,
    created_by: User | None = None,
) -> Hold:
    expires_at = timezone.now() + timedelta(seconds=expires_in) if expires_in else None
    return ledger.place_hold(
        account=get_wallet(user=user, asset=asset),
        amount=amount,
        reference=reference,
        expires_at=expires_at,
        created_by=created_by,
    )
