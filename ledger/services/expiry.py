"""Lot expiry: what is left of expired lots moves to the EXPIRED system account."""

from datetime import datetime

from django.db import transaction as db_transaction
from django.utils import timezone

from core.amounts import format_amount
from core.errors import NotFound
from core.timestamps import iso
from ledger.events.catalogue import POINTS_EXPIRED
from ledger.locks import lock_user_accounts
from ledger.models import AccountPurpose, Lot, Transaction, TransactionType
from ledger.outbox import add_event
from ledger.services.movements import debit


def expire_lots(*, account_id: int, now: datetime | None = None) -> Transaction | None:
    """Move what is left of the account's expired lots to EXPIRED, as one EXPIRE transaction.

    Held amounts stay put: only what is available expires now; the rest of an
    expired lot waits for the hold to be released. Safe to run again: a second
    run finds nothing left.
    """
    now = now or timezone.now()
    with db_transaction.atomic():
        account = lock_user_accounts([account_id]).get(account_id)
        if account is None:
            raise NotFound("Account not found.")
        expired = sum(
            Lot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).values_list(
                "remaining", flat=True
            )
        )
        amount = min(expired, account.available)
        if amount <= 0:
            return None
        # The engine consumes soonest-expiring lots first, which are exactly the expired ones.
        posted = debit(
            account=account,
            amount=amount,
            type=TransactionType.EXPIRE,
            destination=AccountPurpose.EXPIRED,
            description="Points expired",
            metadata={"expired_before": now.isoformat()},
        )
        add_event(
            topic=POINTS_EXPIRED,
            payload={
                "account_id": account.pk,
                "user_id": account.user_id,
                "asset": account.asset.code,
                "amount": format_amount(amount, scale=account.asset.scale),
                "transaction_id": posted.pk,
                "expired_before": iso(now),
            },
            key=account.user_id,
        )
        return posted
