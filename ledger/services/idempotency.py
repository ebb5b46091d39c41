"""Idempotency keys for the writes that must look a key up before the engine does."""

from collections.abc import Callable

from django.db.models import Model

from core.errors import IdempotencyKeyReused
from ledger.locks import lock_idempotency_key


def earlier_under_key[M: Model](
    model: type[M], key: str | None, *, same: Callable[[M], bool]
) -> M | None:
    """For writes that must check a key before the engine sees it (a reversal locks the
    original first, a hold is no posting): serialise on the key and return what it
    already made, or None. Another request under the same key raises IdempotencyKeyReused."""
    if not key:
        return None
    lock_idempotency_key(key)
    earlier = model._default_manager.filter(idempotency_key=key).first()
    if earlier is not None and not same(earlier):
        raise IdempotencyKeyReused(details={f"{model._meta.model_name}_id": earlier.pk})
    return earlier
