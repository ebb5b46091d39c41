"""Assets and system accounts, read from each process's memory (see core.cache).

Both are on every posting's path and almost never change: an asset's row changes when
an operator edits it (invalidated on commit, everywhere within a second), and a
system account, once created, is never changed or deleted, so it is kept for good
(once its creation has committed: a rollback must not leave a phantom behind).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import ProcessCache
from ledger.models import Account, AccountPurpose, Asset, assets_updated

_assets: ProcessCache[dict[int | str, Asset]] = ProcessCache("assets")
_system_accounts: ProcessCache[Account] = ProcessCache("system-accounts")


def all_assets() -> dict[int | str, Asset]:
    """Every asset, active or not, keyed both by id and by code."""
    assets = _assets.get("all")
    if assets is None:
        assets = {}
        for asset in Asset.objects.all():
            assets[asset.pk] = assets[asset.code] = asset
        _assets.put("all", assets)
    return assets


def _find(key: int | str) -> Asset | None:
    asset = all_assets().get(key)
    if asset is None:  # perhaps created in another process within the last second
        _assets.drop()  # not clear_local(): this thread's uncommitted change still counts
        asset = all_assets().get(key)
    return asset


def get_asset(code: str, *, active: bool = True) -> Asset | None:
    """The asset with this code; None when there is none (or it is inactive and
    `active` is asked for)."""
    asset = _find(code)
    if asset is None or (active and not asset.active):
        return None
    return asset


def active_assets() -> list[Asset]:
    return [asset for key, asset in all_assets().items() if key == asset.pk and asset.active]


def asset_by_id(pk: int) -> Asset:
    asset = _find(pk)
    if asset is None:
        raise Asset.DoesNotExist(pk)
    return asset


def get_system_account(*, purpose: str, asset: Asset, label: str = "") -> Account:
    """The system account for (purpose, label, asset), created on first use."""
    if purpose == AccountPurpose.USER:
        raise ValueError("USER is not a system purpose")
    key = (purpose, label, asset.pk)
    account = _system_accounts.get(key)
    if account is None:
        account, _ = Account.objects.get_or_create(
            user=None, purpose=purpose, label=label, asset=asset
        )
        account.asset = asset
        _system_accounts.put_on_commit(key, account)
    return account


@receiver([post_save, post_delete, assets_updated], sender=Asset)
def _asset_changed(**kwargs) -> None:
    _assets.changed()
