"""Reading settings from the environment, with the embedded defaults the dev setup uses."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str, *, sqlite_path: Path) -> dict:
    """Turn DATABASE_URL into a DATABASES entry.

    No URL means an embedded SQLite file (`sqlite_path`, or another one named by
    sqlite:///path/from/the/project or sqlite:////absolute/path): writers take the lock at
    BEGIN (IMMEDIATE) so two writers never deadlock on a lock upgrade, and WAL lets
    readers run beside the one writer. A postgres:// URL uses psycopg 3 with
    Django's connection pool; `?pool=0` turns the pool off (pgbouncer setups).
    """
    parts = urlsplit(url)
    if not url or parts.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path.parent / unquote(parts.path[1:]) if parts.path[1:] else sqlite_path,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite://)"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    use_pool = query.pop("pool", "1") not in {"0", "false", "no"}
    options: dict = dict(query)
    if use_pool:
        options["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", 20),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # A pool keeps connections itself; persistent connections would fight it.
        "CONN_MAX_AGE": 0 if use_pool else env_int("DB_CONN_MAX_AGE", 60),
        # A connection the server dropped while idle (restart, failover, a terminated
        # backend) is found before a request uses it: the pool checks each one it hands
        # out, Django a persistent one at each request's start. Either opens a fresh one.
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
