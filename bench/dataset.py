"""The request-path bench's database: a ledger of N entries, cached as a template.

Loading 10^6 entries through the posting engine takes minutes, so the loaded
database is kept as `wallet_bench_tpl_v<LOADER>_e<entries>` and each run starts
from a copy of it (CREATE DATABASE ... TEMPLATE, seconds). The copy is migrated,
so migrations added since the template was built apply to it; a template holding a
migration that is no longer on disk is rebuilt.

What the template holds, oldest first: the assets, a user whose only entry is the
signup grant (the oldest entry of all), a busy user with ~20,000 COIN entries spread
over the whole ledger, and background users moving COIN among themselves.
"""

import random
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
LOADER = 1  # bump when what the template holds changes
APPS = ("accounts", "ledger", "wallets", "rewards")
SINGLE_EMAIL = "bench-single@bench.invalid"
BUSY_EMAIL = "bench-busy@bench.invalid"
PLENTY = 10**12  # minor units: no bench run drains it


def server_url(name: str, port: int = 5432) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{name}"


def prefix_from_url(url: str) -> str:
    """`<database>_bench` for a PostgreSQL DATABASE_URL, else `wallet_bench`."""
    if not url.startswith("postgres"):
        return "wallet_bench"
    name = url.rpartition("/")[2].split("?")[0]
    return f"{name}_bench" if name else "wallet_bench"


def template_name(entries: int, prefix: str = "wallet_bench") -> str:
    return f"{prefix}_tpl_v{LOADER}_e{entries}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(server_url("postgres"), autocommit=True)


def _exists(conn: psycopg.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def drop_database(name: str) -> None:
    assert "_bench" in name, name  # bench databases only
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def copy_database(source: str, target: str) -> None:
    drop_database(target)
    with _admin() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


def create_database(name: str) -> None:
    drop_database(name)
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _migrations_on_disk() -> set[tuple[str, str]]:
    return {
        (app, path.stem) for app in APPS for path in (ROOT / app / "migrations").glob("[0-9]*.py")
    }


def usable_template(entries: int, prefix: str = "wallet_bench") -> bool:
    """The template exists, finished loading, and holds no migration missing from disk."""
    name = template_name(entries, prefix)
    with _admin() as conn:
        if not _exists(conn, name):
            return False
    with psycopg.connect(server_url(name)) as conn:
        complete = conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]
        if not complete:
            return False
        applied = set(
            conn.execute(
                "SELECT app, name FROM django_migrations WHERE app = ANY(%s)", [list(APPS)]
            ).fetchall()
        )
    return applied <= _migrations_on_disk()


def load_ledger(*, entries: int, busy_entries: int, users: int, batch: int = 2000) -> float:
    """Fill the (migrated, empty) database; return the seconds the postings took."""
    from django.db import connection

    from accounts.models import User
    from accounts.services import register_user
    from ledger.batches import ParallelPoster
    from ledger.models import Account, AccountPurpose, Asset, TransactionType
    from ledger.posting import Leg, Posting, Refused
    from ledger.services import get_system_account
    from tests.factories import create_assets

    create_assets()
    coin = Asset.objects.get(code="COIN")
    register_user(email=SINGLE_EMAIL, password=None)  # its signup grant is its only entry
    busy = register_user(email=BUSY_EMAIL, password=None)
    background = User.objects.bulk_create(
        [User(email=f"bench-bg-{i}@bench.invalid") for i in range(users)]
    )
    Account.objects.bulk_create([Account(user=user, asset=coin) for user in background])
    wallets = list(Account.objects.filter(user__in=background, asset=coin))
    busy_wallet = Account.objects.get(user=busy, asset=coin)
    for wallet in [*wallets, busy_wallet]:
        wallet.asset = coin
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=coin)
    treasury.asset = coin

    rng = random.Random(10)
    funding = [
        Posting(type=TransactionType.TOPUP, legs=[Leg(treasury, -PLENTY), Leg(wallet, PLENTY)])
        for wallet in [*wallets, busy_wallet]
    ]
    transfers = max(0, entries // 2 - len(funding))
    every = max(1, transfers // max(1, busy_entries))

    def transfer(number: int) -> Posting:
        source, target = rng.sample(wallets, 2)
        if number % every == 0:  # the busy user sends or receives
            source, target = (
                (busy_wallet, target) if number % (2 * every) else (source, busy_wallet)
            )
        return Posting(type=TransactionType.TRANSFER, legs=[Leg(source, -1), Leg(target, 1)])

    started = time.perf_counter()
    poster = ParallelPoster(workers=2)
    done = poster.submit(funding)
    for at in range(0, transfers, batch):
        done += poster.submit([transfer(n) for n in range(at, min(at + batch, transfers))])
        if at // batch % 50 == 0:
            print(f"  {2 * (len(funding) + at):,} entries posted", flush=True)
    done += poster.finish()
    took = time.perf_counter() - started
    failed = [posted.error for posted in done if posted.error] + [
        outcome.error
        for posted in done
        for outcome in posted.results or []
        if isinstance(outcome, Refused)
    ]
    if failed:
        raise RuntimeError(f"{len(failed)} bench postings failed, e.g. {failed[0]!r}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CREATE TABLE bench_meta (built_at timestamptz DEFAULT now())")
        cursor.execute("INSERT INTO bench_meta DEFAULT VALUES")
    return took


@dataclass
class Cast:
    """Who the run's requests act as; tokens are one per connection."""

    spenders: list  # customers with GOLD and COIN, one per connection
    recipients: list  # customers that only receive transfers, one per connection
    services: list  # service-role users crediting the spenders, one per connection
    busy: object
    single: object

    def token(self, user) -> str:
        from rest_framework_simplejwt.tokens import AccessToken

        return str(AccessToken.for_user(user))


def create_cast(connections: int) -> Cast:
    """Customers and service accounts for this run, funded through the posting engine."""
    from django.contrib.auth.models import Group

    from accounts import roles
    from accounts.models import User
    from accounts.services import register_user
    from ledger.models import AccountPurpose, Asset, TransactionType
    from ledger.services import credit
    from wallets.services import get_wallet

    def customer(kind: str, number: int) -> User:
        return register_user(email=f"bench-{kind}-{number}@bench.invalid", password=None)

    spenders = [customer("spender", i) for i in range(connections)]
    recipients = [customer("recipient", i) for i in range(connections)]
    service = Group.objects.get(name=roles.SERVICE)
    services = []
    for number in range(connections):
        user = User.objects.create_user(email=f"bench-service-{number}@bench.invalid")
        user.groups.add(service)
        services.append(user)
    for user in spenders:
        for code in ("GOLD", "COIN"):
            credit(
                account=get_wallet(user=user, asset=Asset.objects.get(code=code)),
                amount=PLENTY,
                type=TransactionType.TOPUP,
                source=AccountPurpose.TREASURY,
            )
    return Cast(
        spenders,
        recipients,
        services,
        busy=User.objects.get(email=BUSY_EMAIL),
        single=User.objects.get(email=SINGLE_EMAIL),
    )
