"""User wallets and system accounts: looked up, opened on first use, frozen."""

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

from core.errors import ValidationError
from ledger.events.catalogue import WALLET_CREATED, WALLET_FROZEN, WALLET_UNFROZEN
from ledger.locks import lock_user_accounts
from ledger.models import Account, AccountPurpose, Asset
from ledger.outbox import add_event
from ledger.read_cache import wallets_changed
from ledger.reference import asset_by_id, get_system_account
from ledger.users import WalletUser

__all__ = ["get_system_account", "open_user_accounts", "set_account_status"]


def open_user_accounts(*, user: WalletUser) -> list[Account]:
    """Make sure the user has a wallet for every active asset; return all their wallets.

    Each wallet opened here is announced (wallet.created) in the same transaction; one
    opened concurrently by another request is announced by that request only.
    """
    with db_transaction.atomic():
        have = set(Account.objects.filter(user=user).values_list("asset_id", flat=True))
        missing = [asset for asset in Asset.objects.filter(active=True) if asset.pk not in have]
        if missing:
            for account_id, asset_id in _insert_wallets(user.pk, [a.pk for a in missing]):
                add_event(
                    topic=WALLET_CREATED,
                    payload={
                        "account_id": account_id,
                        "user_id": user.pk,
                        "asset": asset_by_id(asset_id).code,
                    },
                    key=user.pk,
                )
            wallets_changed([user.pk])
        return list(
            Account.objects.select_related("asset").filter(user=user).order_by("asset__code")
        )


# Only the rows this statement inserted come back: a wallet another transaction opened
# meanwhile is skipped (on PostgreSQL after waiting for that transaction to end).
INSERT_WALLETS = """
INSERT INTO ledger_account (user_id, asset_id, purpose, label, status, balance, held, created_at)
VALUES {rows} ON CONFLICT DO NOTHING RETURNING id, asset_id
"""


def _insert_wallets(user_id: int, asset_ids: list[int]) -> list[tuple[int, int]]:
    now = timezone.now()
    rows = [
        (user_id, asset_id, AccountPurpose.USER, "", Account.Status.ACTIVE, 0, 0, now)
        for asset_id in sorted(asset_ids)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_WALLETS.format(rows=", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))),
            [value for row in rows for value in row],
        )
        return sorted(cursor.fetchall())


def set_account_status(*, account: Account, status: str) -> Account:
    """Freeze or unfreeze a wallet. A frozen wallet refuses debits and transfers."""
    if status not in Account.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    with db_transaction.atomic():
        locked = lock_user_accounts([account.pk]).get(account.pk)
        if locked is None:
            raise ValidationError("Only user wallets can be frozen.")
        if locked.status != status:
            locked.status = status
            locked.save(update_fields=["status"])
            frozen = status == Account.Status.FROZEN
            add_event(
                topic=WALLET_FROZEN if frozen else WALLET_UNFROZEN,
                payload={
                    "account_id": locked.pk,
                    "user_id": locked.user_id,
                    "asset": locked.asset.code,
                },
                key=locked.user_id,
            )
    return locked
