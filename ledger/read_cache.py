"""The cache of a user's wallet reads (GET wallets/{user} and its transactions), and
every write that must clear it.

The API keeps each user's rendered balances, and the history pages asked for (a
variant per URL), in a VersionedCache (core.versioned_cache) keyed by user id. The
cache only answers those reads: the posting engine, holds and freezes read balances
from the locked rows, never from here. A user's entries are invalidated once a
transaction commits that changed one of their wallets: a posting (balance, history,
lots), a hold (held), a status, a wallet opened or removed. An asset edit (its code,
scale or being active change what the reads show) invalidates every entry.
"""

from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.versioned_cache import VersionedCache
from ledger.models import Account, Asset, assets_updated

wallet_reads = VersionedCache("wallet_reads", ttl_setting="BALANCE_CACHE_SECONDS")


def wallets_changed(user_ids: Iterable[int | None]) -> None:
    """These users' wallets changed in the current transaction: drop their cached
    reads once it commits."""
    wallet_reads.invalidate_on_commit(str(user_id) for user_id in set(user_ids) if user_id)


@receiver([post_save, post_delete], sender=Account)
def _account_saved(instance: Account, **kwargs) -> None:
    wallets_changed([instance.user_id])


@receiver([post_save, post_delete, assets_updated], sender=Asset)
def _asset_changed(**kwargs) -> None:
    wallet_reads.invalidate_all_on_commit()
