"""Shared by the bench scripts: Django on a dedicated PostgreSQL database."""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def setup_django(default_db: str = "wallet_bench", *, fresh: bool = False) -> None:
    """Django on the bench database; `fresh` drops and recreates it first (bench
    databases only), so earlier runs' rows and dead tuples do not skew the figures."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    url = os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_db}")
    if not url.startswith("postgres"):
        sys.exit("The benchmarks measure PostgreSQL: set DATABASE_URL=postgres://...")
    _create_database(url, fresh=fresh)
    if "pool=" not in url:
        # Worker processes are forked: a pool's background threads would not survive it.
        os.environ["DATABASE_URL"] = url + ("&" if "?" in url else "?") + "pool=0"
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(url: str, *, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if fresh:
            if not name.endswith("_bench"):
                sys.exit(f"--fresh drops the database: only for *_bench databases, not {name}")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
