"""User wallets and system accounts: looked up, opened on first use, frozen."""

from django.db import transaction as db_transaction

from core.errors import ValidationError
from ledger.balance_cache import wallets_changed
from ledger.locks import lock_user_accounts
from ledger.models import Account, Asset
from ledger.outbox import add_event
from ledger.reference import get_system_account
from ledger.users import WalletUser

__all__ = ["get_system_account", "open_user_accounts", "set_account_status"]


def open_user_accounts(*, user: WalletUser) -> list[Account]:
    """Make sure the user has a wallet for every active asset; return all their wallets."""
    Account.objects.bulk_create(
        [Account(user=user, asset=asset) for asset in Asset.objects.filter(active=True)],
        ignore_conflicts=True,
    )
    wallets_changed([user.pk])
    return list(Account.objects.select_related("asset").filter(user=user).order_by("asset__code"))


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
            add_event(
                topic="ledger.account.status_changed",
                payload={"account_id": locked.pk, "user_id": locked.user_id, "status": status},
            )
    return locked
