"""The back-office dashboard's load time on a ledger of 10^6 transactions.

    .venv/bin/python bench/dashboard.py [--transactions 1000000] [--users 20000] [--rebuild]
        [--database wallet_bench_dash_NAME] [--runs 20] [--explain] [--profile DAYS]

Needs PostgreSQL at 127.0.0.1:5432. The ledger is loaded once through the posting
engine (bench/dataset.py's ParallelPoster path) and kept as the template
`wallet_bench_dash_tpl_v<LOADER>_t<transactions>`; each run starts from a copy of it
named --database (one per person running it). Its transactions are spread over the last
100 days (the clock is moved day by day while loading, so every day has its own daily
totals): each --users user has a COIN and a GOLD wallet, topped up on the first day,
then earns, spends, transfers COIN and is topped up again, all at random.

It times, after warm-up, `get_dashboard()` reading every figure, and the whole page
(GET /admin/ as a superuser, through Django's test client: session, permissions,
templates) for each range, both with the figures kept (DASHBOARD_FIGURES_SECONDS) and
read on every load, in turns with a trivial admin page (the asset list) so that all see
the same machine load; it prints the median and p95 of --runs runs, the SQL statements
per page and each page's ratio to the trivial one. The target is under 200 ms for the
page. "cold" is the first page load of a range with nothing cached (a new deployment);
"the next day" the first load of each range a day later, from what the day's loads
kept (once a day in production: each closed day is read once; ledger/dashboard.py).
`--explain` prints the query plans of a page reading every figure, `--profile DAYS` a
cProfile of --runs such loads.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402

LOADER = 1  # bump when what the template holds changes
RUN_DB = "wallet_bench_dashboard"
DAYS = 100
PLENTY = 10**9
TRIVIAL_PAGE = "/admin/ledger/asset/"  # the theme's page around a list of 3 rows
DEFAULT_DAYS = 30


def template_name(transactions: int) -> str:
    return f"wallet_bench_dash_tpl_v{LOADER}_t{transactions}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10**6)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="load the ledger again")
    parser.add_argument("--database", default=RUN_DB, help="the copy to run on (wallet_bench*)")
    parser.add_argument("--explain", action="store_true", help="print the page's query plans")
    parser.add_argument(
        "--profile", type=int, metavar="DAYS", help="print a cProfile of --runs page loads"
    )
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    return parser.parse_args()


def template_ready(name: str) -> bool:
    with psycopg.connect(dataset.server_url("postgres"), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not found:
        return False
    with psycopg.connect(dataset.server_url(name)) as conn:
        return conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]


def load(*, transactions: int, users: int) -> float:
    """Post the ledger day by day; return the seconds it took."""
    import time_machine
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from ledger.batches import ParallelPoster
    from ledger.models import Account, AccountPurpose, Asset, TransactionType
    from ledger.posting import Leg, Posting, Refused
    from ledger.services import get_system_account
    from tests.factories import create_assets

    create_assets()
    assets = {code: Asset.objects.get(code=code) for code in ("COIN", "GOLD")}
    people = User.objects.bulk_create(
        [User(email=f"bench-dash-{n}@bench.invalid") for n in range(users)]
    )
    Account.objects.bulk_create(
        [Account(user=user, asset=asset) for user in people for asset in assets.values()]
    )
    wallets = {
        code: list(Account.objects.filter(asset=asset, user__isnull=False).order_by("id"))
        for code, asset in assets.items()
    }
    system = {
        (purpose, code): get_system_account(purpose=purpose, asset=asset)
        for purpose in (AccountPurpose.TREASURY, AccountPurpose.REWARDS, AccountPurpose.REVENUE)
        for code, asset in assets.items()
    }
    for code, asset in assets.items():
        for account in wallets[code]:
            account.asset = asset
    for (_, code), account in system.items():
        account.asset = assets[code]

    rng = random.Random(14)
    T = TransactionType

    def random_posting() -> Posting:
        code = "COIN" if rng.random() < 0.6 else "GOLD"
        roll = rng.random()
        who = rng.choice(wallets[code])
        amount = rng.randint(1, 500)
        if roll < 0.4:
            source, kind = system[(AccountPurpose.REWARDS, code)], T.EARN
            return Posting(type=kind, legs=[Leg(source, -amount), Leg(who, amount)])
        if roll < 0.7:
            revenue = system[(AccountPurpose.REVENUE, code)]
            return Posting(type=T.SPEND, legs=[Leg(who, -amount), Leg(revenue, amount)])
        if roll < 0.9 and code == "COIN":
            other = rng.choice(wallets[code])
            while other is who:
                other = rng.choice(wallets[code])
            return Posting(type=T.TRANSFER, legs=[Leg(who, -amount), Leg(other, amount)])
        treasury = system[(AccountPurpose.TREASURY, code)]
        return Posting(type=T.TOPUP, legs=[Leg(treasury, -amount), Leg(who, amount)])

    funding = [
        Posting(
            type=T.TOPUP,
            legs=[Leg(system[(AccountPurpose.TREASURY, code)], -PLENTY), Leg(account, PLENTY)],
        )
        for code in wallets
        for account in wallets[code]
    ]
    per_day = (transactions - len(funding)) // (DAYS - 1)
    today = timezone.now()
    started = time.perf_counter()
    done = []
    for day in range(DAYS):
        # Each day's batches are posted, and finished, at that day's clock.
        with time_machine.travel(today - timedelta(days=DAYS - 1 - day), tick=True):
            poster = ParallelPoster(workers=2)
            todays = funding if day == 0 else [random_posting() for _ in range(per_day)]
            for at in range(0, len(todays), 2000):
                done += poster.submit(todays[at : at + 2000])
            done += poster.finish()
        if day % 10 == 0:
            print(f"  day {day + 1}/{DAYS} posted", flush=True)
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
    return took


def forget_cached_days() -> None:
    """Drop what the dashboard keeps of closed days, so the next load reads them all."""
    from django.core.cache import cache
    from django.utils import timezone

    from ledger import dashboard
    from ledger.rollup import wallet_day

    today = wallet_day(timezone.now())
    days = [today - timedelta(days=n) for n in range(max(dashboard.RANGES) + 2)]
    keys = [dashboard._cache_key("flows", day.isoformat()) for day in days]
    keys += [
        dashboard._cache_key("top", first.isoformat(), last.isoformat(), dashboard.TOP_EARNERS)
        for first in days
        for last in days[:3]
    ]
    keys += [dashboard._cache_key("figures", span) for span in dashboard.RANGES]
    keys += [dashboard._cache_key("net-until", day.isoformat()) for day in days[:3]]
    cache.delete_many(keys)


def timed(call, runs: int) -> tuple[float, float]:
    return timed_in_turns([call], runs)[0]


def timed_in_turns(calls: list, runs: int) -> list[tuple[float, float]]:
    """The median and p95 in ms of each call, after warm-up, the calls taken in turns."""
    for _ in range(3):
        for call in calls:
            call()
    took: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, times in zip(calls, took, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return [percentiles(times) for times in took]


def statements(call) -> int:
    """The SQL statements `call` runs (counted at once: each request clears the log)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def shown(p50_p95: tuple[float, float]) -> str:
    return f"{p50_p95[0]:>6.1f}/{p50_p95[1]:<6.1f}"


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    args = parse_args()
    os.environ["DEBUG"] = "0"  # no query log in memory: time the page as production runs it
    run_db = args.database
    os.environ["DATABASE_URL"] = dataset.server_url(run_db)
    template = template_name(args.transactions)
    reuse = not args.rebuild and template_ready(template)
    if reuse:
        print(f"database: {run_db} from template {template}", flush=True)
        dataset.copy_database(template, run_db)
    else:
        print(f"database: loading {args.transactions:,} transactions into {run_db}", flush=True)
        dataset.create_database(run_db)
    from setup import setup_django

    setup_django(run_db)
    from django.db import connection

    if not reuse:
        took = load(transactions=args.transactions, users=args.users)
        print(f"  posted in {took:.0f}s = {args.transactions / took:,.0f} transactions/s")
        connection.close()
        dataset.drop_database(template)
        dataset.copy_database(run_db, template)
        print(f"  kept as template {template}", flush=True)

    from django.conf import settings
    from django.test import Client, override_settings

    from accounts.models import User
    from ledger.dashboard import RANGES, get_dashboard

    with connection.cursor() as cursor:
        sizes = {}
        for table in ("ledger_transaction", "ledger_entry", "ledger_dailytotal", "ledger_account"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            sizes[table] = cursor.fetchone()[0]
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))

    admin, _ = User.objects.get_or_create(
        email="bench-dash-admin@bench.invalid", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)

    def get(url: str, **params) -> None:
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)

    if args.explain:
        with override_settings(DASHBOARD_FIGURES_SECONDS=0):  # every figure read
            explain(lambda: get("/admin/", days=DEFAULT_DAYS))
    if args.profile:
        with override_settings(DASHBOARD_FIGURES_SECONDS=0):
            profile(lambda: get("/admin/", days=args.profile), args.runs, args.sort)
        return
    kept = getattr(settings, "DASHBOARD_FIGURES_SECONDS", 0)  # none before the setting
    print(
        "ms, p50/p95 of --runs loads; figures: get_dashboard() reading everything (what a"
        " load costs when the figures are not kept); page: GET /admin/ with the figures"
        f" kept up to {kept} s; uncached: the page reading"
        f" them on every load; trivial: {TRIVIAL_PAGE}, the theme around a 3-row list"
    )
    print(
        f"{'range':>5} {'cold':>6} {'figures':>13} {'page':>13} {'SQL':>3}"
        f" {'uncached':>13} {'SQL':>3} {'trivial':>13} {'page/trivial':>12}"
        f" {'uncached/trivial':>16}"
    )
    for days in RANGES:
        forget_cached_days()
        started = time.perf_counter()
        get("/admin/", days=days)
        cold = (time.perf_counter() - started) * 1000
        figures = timed(lambda days=days: get_dashboard(days=days), args.runs)

        def uncached(days=days) -> None:
            with override_settings(DASHBOARD_FIGURES_SECONDS=0):
                get("/admin/", days=days)

        # The pages taken in turns, so all three see the same machine load: compare ratios.
        page, page_uncached, trivial = timed_in_turns(
            [lambda days=days: get("/admin/", days=days), uncached, lambda: get(TRIVIAL_PAGE)],
            args.runs,
        )
        statements_uncached = statements(uncached)
        get("/admin/", days=days)  # the figures kept again, whatever the runs above left
        statements_page = statements(lambda days=days: get("/admin/", days=days))
        print(
            f"{days:>3} d {cold:>6.0f} {shown(figures)} {shown(page)} {statements_page:>3}"
            f" {shown(page_uncached)} {statements_uncached:>3} {shown(trivial)}"
            f" {page[0] / trivial[0]:>11.2f}x {page_uncached[0] / trivial[0]:>15.2f}x"
        )
    # A day later, the first load of each range: what a day's closing costs the next
    # day's first visitor, with what today's loads kept.
    import time_machine
    from django.utils import timezone

    next_day = []
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
        for days in RANGES:
            started = time.perf_counter()
            get("/admin/", days=days)
            next_day.append(f"{days} d {(time.perf_counter() - started) * 1000:.0f} ms")
    print("the next day, first load: " + ", ".join(next_day))
    print(f"load average: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")


def explain(load_page) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT one warm page load runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    load_page()
    with CaptureQueriesContext(connection) as queries:
        load_page()
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"-- {query['sql'][:300]}\n{plan}\n", flush=True)


def profile(load_page, runs: int, sort: str) -> None:
    """cProfile of `runs` warm page loads: where the page's Python time goes."""
    import cProfile
    import pstats

    for _ in range(3):
        load_page()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        load_page()
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(40)


if __name__ == "__main__":
    main()
