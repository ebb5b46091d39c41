"""Rendered reads kept in Redis, each checked against a version that every write bumps.

The race a plain delete-on-write leaves open: a reader misses, reads the database,
a write commits and deletes the key, and the reader then stores what it read before
the write, which stays until it expires. Here each key has a version counter (and
the whole cache one more): a lookup reads the value and both versions in one MGET;
a store runs as one Lua script that writes only if neither version moved since that
lookup. A write bumps the key's version and deletes its value in one script, after
its transaction commits (`invalidate_on_commit`), so once the writer has its answer
no reader is served the value from before, and no reader still holding an older
read can put it back.

A key may hold variants besides its value (the pages of a user's history, one per
URL): each is stored with the versions it was read at and served only while both
still hold, so the one bump retires them all without knowing their names; they
expire with their time to live.

What is left is bounded by the time to live: a process that dies between its commit
and the invalidation, or a Redis unreachable at that moment (logged), leaves the
value until it expires. Without Redis (REDIS_URL empty) nothing is cached.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import orjson
import redis
from django.conf import settings
from django.db import connections, transaction

from core.api.throttles import shared_redis

logger = logging.getLogger(__name__)

# KEYS: the key's version, the cache's version, the value. ARGV: the two versions the
# lookup saw, the value, its time to live in milliseconds. The value is kept behind
# both versions: bumping the cache's deletes nothing, nor does bumping a key's delete
# its variants.
STORE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1]
   and (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
    redis.call('SET', KEYS[3], ARGV[2] .. ':' .. ARGV[1] .. ':' .. ARGV[3], 'PX', ARGV[4])
    return 1
end
return 0
"""
# KEYS: (a key's version, its value) pairs; ARGV: the versions' time to live. One
# command, atomic as MULTI would be, at a third of a pipeline's client-side cost.
INVALIDATE = """
for i = 1, #KEYS, 2 do
    redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[1])
    redis.call('DEL', KEYS[i + 1])
end
"""
# A version outlives any value stored under it (their TTL is seconds): one that
# expired and restarted at 0 can then match no value stored before.
VERSION_TTL_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup found: the value (None: a miss) and the versions it was read at."""

    key: str
    value: bytes | None
    version: bytes
    cache_version: bytes
    variant: str = ""


class VersionedCache:
    """Values under `name`, each kept for at most the seconds the setting `ttl_setting`
    names (0: the cache is off)."""

    def __init__(self, name: str, *, ttl_setting: str):
        self.name = name
        self.ttl_setting = ttl_setting

    @property
    def ttl_ms(self) -> int:
        return int(getattr(settings, self.ttl_setting, 0)) * 1000

    def _client(self) -> redis.Redis | None:
        if not self.ttl_ms or not settings.REDIS_URL:
            return None
        return shared_redis(settings.REDIS_URL)

    def _keys(self, key: str, variant: str = "") -> tuple[str, str, str]:
        # The database's name keeps deployments (and test runs) sharing one Redis apart.
        base = f"{self.name}:{connections['default'].settings_dict['NAME']}"
        value = f"{base}:value:{key}" + (f":{variant}" if variant else "")
        return f"{base}:version:{key}", f"{base}:version", value

    def lookup(self, key: str, variant: str = "") -> Lookup | None:
        """The value (or `variant`) and the versions, in one round trip; None when the
        cache is off or unreachable (the caller then reads the database, stores nothing)."""
        client = self._client()
        if client is None:
            return None
        version_key, cache_version_key, value_key = self._keys(key, variant)
        try:
            replies = client.mget(value_key, version_key, cache_version_key)
        except redis.RedisError:
            logger.warning("Cache %s unreachable; read from the database", self.name)
            return None
        value, version, cache_version = cast(list[bytes | None], replies)  # no decoding
        version, cache_version = version or b"0", cache_version or b"0"
        if value is not None:
            stored_under, stored_at, value = value.split(b":", 2)
            if (stored_under, stored_at) != (cache_version, version):
                value = None  # stored before an invalidation
        return Lookup(key, value, version, cache_version, variant)

    def read_through(self, key: str, read: Callable[[], Any], *, variant: str = "") -> Any:
        """The JSON value `read()` returns, answered from the cache when it holds it for
        `key` (and `variant`), else read and stored unless a write came in between."""
        lookup = self.lookup(key, variant)
        if lookup is not None and lookup.value is not None:
            return orjson.loads(lookup.value)
        value = read()
        if lookup is not None:
            self.store(lookup, orjson.dumps(value))
        return value

    def store(self, lookup: Lookup, value: bytes) -> bool:
        """Keep `value`, read after `lookup`, unless a write bumped a version since."""
        client = self._client()
        if client is None:
            return False
        try:
            return bool(
                client.eval(
                    STORE_IF_UNCHANGED,
                    3,
                    *self._keys(lookup.key, lookup.variant),
                    lookup.version,
                    lookup.cache_version,
                    value,
                    self.ttl_ms,
                )
            )
        except redis.RedisError:
            logger.warning("Cache %s unreachable; nothing stored", self.name)
            return False

    def invalidate(self, keys: Iterable[str]) -> None:
        """Bump each key's version (which retires its variants) and drop its value, now."""
        client = self._client()
        pairs = [name for key in keys for name in self._keys(key)[::2]]
        if client is not None and pairs:
            self._send(lambda: client.eval(INVALIDATE, len(pairs), *pairs, VERSION_TTL_SECONDS))

    def invalidate_all(self) -> None:
        """Bump the cache's own version: no value stored before is served again."""
        client = self._client()
        if client is not None:
            self._send(lambda: client.incr(self._keys("")[1]))

    def invalidate_on_commit(self, keys: Iterable[str]) -> None:
        """`invalidate` once the current transaction commits (at once outside one)."""
        if self._client() is not None:
            keys = list(keys)
            transaction.on_commit(lambda: self.invalidate(keys))

    def invalidate_all_on_commit(self) -> None:
        if self._client() is not None:
            transaction.on_commit(self.invalidate_all)

    def _send(self, command: Callable[[], object]) -> None:
        try:
            command()
        except redis.RedisError:
            logger.error(
                "Cache %s not invalidated (Redis unreachable): stale for up to %d s",
                self.name,
                self.ttl_ms // 1000,
            )
