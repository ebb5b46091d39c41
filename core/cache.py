"""Reference data kept in each process's memory, dropped everywhere when it changes.

Assets, system accounts and role permissions are read on every request and change a
few times a year; a database query for each costs more CPU than the rest of a
request's work. A `ProcessCache` keeps them in this process. `invalidate()` clears
this process at once and bumps a version number in the shared cache (Redis in
production), which every other process reads at most once per `check_every`
seconds: a change reaches all workers within that time.
"""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

from django.core.cache import cache as shared_cache
from django.db import transaction

logger = logging.getLogger(__name__)


_registry: list["ProcessCache"] = []


class ProcessCache[Value]:
    """A bounded map (least recently used entries go first) shared by one process."""

    def __init__(self, name: str, *, max_entries: int = 10_000, check_every: float = 1.0):
        self.version_key = f"process-cache:{name}:version"
        self.max_entries = max_entries
        self.check_every = check_every
        self.entries: OrderedDict[Hashable, Value] = OrderedDict()
        self.version: int | None = None
        self.checked_at = -check_every
        self.generation = 0  # counts drops: a value read before one is not kept after it
        self.pending = threading.local()  # this thread's uncommitted change and last miss
        _registry.append(self)

    def get(self, key: Hashable) -> Value | None:
        self._drop_if_changed_elsewhere()
        value = self.entries.get(key)
        if value is None:
            self.pending.missed_at = self.generation
        else:
            self.entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Value) -> None:
        """Keep a value read after this thread's last miss in `get`."""
        if getattr(self.pending, "missed_at", self.generation) != self.generation:
            return  # dropped since it was read (another thread's change): it may be stale
        if getattr(self.pending, "change", False):
            if transaction.get_connection().in_atomic_block:
                return  # read inside a transaction that changed the data: a rollback may undo it
            self.pending.change = False  # that transaction has ended
        self.entries[key] = value
        if len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def put_on_commit(self, key: Hashable, value: Value) -> None:
        """Keep a value once the current transaction commits (at once outside one): a
        row it may have created must not outlive a rollback here."""
        transaction.on_commit(lambda: self.put(key, value))

    def drop(self) -> None:
        """Forget every entry in this process."""
        self.entries.clear()
        self.generation += 1

    def changed(self) -> None:
        """A row behind this cache changed: drop it here now, everywhere once it commits."""
        self.drop()
        self.pending.change = True
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self.pending.change = False
        self.invalidate()

    def invalidate(self) -> None:
        """Drop every entry here now, and in every other process within `check_every`."""
        self.drop()
        try:
            try:
                self.version = shared_cache.incr(self.version_key)
            except ValueError:  # never bumped before
                shared_cache.add(self.version_key, 1, timeout=None)
                self.version = shared_cache.incr(self.version_key)
        except Exception:
            logger.exception("Could not tell other processes to drop %s", self.version_key)

    def clear_local(self) -> None:
        self.drop()
        self.checked_at = -self.check_every
        self.pending = threading.local()

    def _drop_if_changed_elsewhere(self) -> None:
        now = time.monotonic()
        if now - self.checked_at < self.check_every:
            return
        self.checked_at = now
        try:
            version = shared_cache.get(self.version_key)
        except Exception:  # the shared cache is down: keep nothing longer than a check
            logger.warning("Shared cache unreachable; %s read afresh", self.version_key)
            self.drop()
            self.version = None
            return
        if version != self.version:
            self.drop()
            self.version = version


def clear_process_caches() -> None:
    """Forget every process cache here (tests roll the database back under them)."""
    for process_cache in _registry:
        process_cache.clear_local()
