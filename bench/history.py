"""History page latency at a million entries: a busy user and users with one or two entries.

Loads ~10^6 entries once into the bench database (spread over 100 days), then reuses
them. The rows go in with the engine's own COPY writer, so the database's balance
triggers check every transaction; the engine's locks, lots, daily totals and events
are skipped (they are not what is measured), and user balances are set at the end.

Times GET wallets/me/transactions/ in process (Django's test client with a real JWT,
no HTTP server), whole and the part spent waiting on PostgreSQL: the first page and
filtered pages, for a busy user (~20,000 postings in five assets, converts among them),
a user with one entry and a user with two old entries.

    .venv/bin/python bench/history.py [--entries 1000000] [--requests 200] [--explain]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/wallet_history_bench.
"""

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from setup import setup_django

ASSETS = ["SILVER", "GOLD", "DIAMOND", "CITY_POINTS", "COIN"]
BUSY, SINGLE, PAIR = "history-busy@bench", "history-single@bench", "history-pair@bench"
CROWD = 20_000  # other users, one wallet per asset each
BATCH = 5_000
DAYS = 100
BUSY_EVERY = 25  # one posting in 25 is the busy user's: 20,000 entries per 10^6


SET_BALANCES = """
UPDATE ledger_account a SET balance = s.total
FROM (SELECT account_id, SUM(amount) AS total FROM ledger_entry GROUP BY account_id) s
WHERE a.id = s.account_id AND a.user_id IS NOT NULL
"""


def write(postings: list, moment: datetime) -> None:
    """The postings' transactions and entries, as the engine writes them."""
    from ledger.inserts import NewEntry, insert_postings
    from ledger.models import Transaction

    txns, entries = [], []
    for posting in postings:
        txn = Transaction(
            type=posting.type,
            reference=posting.reference,
            description=posting.description,
            created_at=moment,
        )
        txns.append(txn)
        entries += [
            NewEntry(txn, leg.account.pk, leg.account.asset_id, leg.amount, None)
            for leg in posting.legs
        ]
    insert_postings(txns, entries)


def load(entries: int) -> None:
    """Post ~`entries` entries (two per posting; a convert has four, two of them the user's)."""
    from django.db import connection, transaction

    from accounts.models import User
    from ledger.models import Account, AccountPurpose, Asset, Entry, TransactionType
    from ledger.posting import Leg, Posting
    from ledger.services import get_system_account

    assets = [Asset.objects.get_or_create(code=code, defaults={"name": code})[0] for code in ASSETS]
    if Entry.objects.count() >= entries * 0.9 and User.objects.filter(email=BUSY).exists():
        return
    started = time.perf_counter()
    users = User.objects.bulk_create(
        [User(email=email) for email in (SINGLE, PAIR, BUSY)]
        + [User(email=f"history-{i}@bench") for i in range(CROWD)]
    )
    Account.objects.bulk_create([Account(user=u, asset=a) for u in users for a in assets])
    wallets: dict[int, list[Account]] = {}
    for account in Account.objects.select_related("asset").filter(user__in=users):
        wallets.setdefault(account.user_id, []).append(account)
    for accounts in wallets.values():
        accounts.sort(key=lambda account: account.asset_id)
    single, pair, busy = (wallets[u.pk] for u in users[:3])
    crowd = [wallets[u.pk] for u in users[3:]]
    system = {
        (purpose, asset.pk): get_system_account(purpose=purpose, asset=asset)
        for purpose in (AccountPurpose.TREASURY, AccountPurpose.REVENUE, AccountPurpose.CONVERSION)
        for asset in assets
    }

    def topup(account: Account, amount: int, reference: str = "") -> Posting:
        treasury = system[AccountPurpose.TREASURY, account.asset_id]
        legs = [Leg(treasury, -amount), Leg(account, amount)]
        return Posting(type=TransactionType.TOPUP, legs=legs, reference=reference)

    def busy_posting(n: int) -> Posting:
        source, target = busy[n % 5], busy[(n + 1) % 5]
        if n % 3 == 0:
            return topup(source, 100, reference=f"order-{n}")
        if n % 3 == 1:
            revenue = system[AccountPurpose.REVENUE, source.asset_id]
            legs = [Leg(source, -1), Leg(revenue, 1)]
            return Posting(TransactionType.SPEND, legs, description=f"Bought item {n}")
        conversion_in = system[AccountPurpose.CONVERSION, source.asset_id]
        conversion_out = system[AccountPurpose.CONVERSION, target.asset_id]
        legs = [Leg(source, -2), Leg(conversion_in, 2), Leg(conversion_out, -1), Leg(target, 1)]
        return Posting(TransactionType.CONVERT, legs)

    rng = random.Random(10)
    postings = [topup(single[0], 5), topup(pair[1], 7), topup(pair[1], 8)]
    postings += [topup(busy[i], 1_000_000) for i in range(5)]
    for n in range(entries // 2):
        if n % BUSY_EVERY == 0:
            postings.append(busy_posting(n // BUSY_EVERY))
        else:
            postings.append(topup(rng.choice(rng.choice(crowd)), rng.randint(1, 500)))
    epoch = datetime.now(UTC) - timedelta(days=DAYS + 1)
    for start in range(0, len(postings), BATCH):
        moment = epoch + timedelta(days=DAYS * start / len(postings))
        with transaction.atomic():
            write(postings[start : start + BATCH], moment)
        print(f"\rloaded {start + BATCH:,}/{len(postings):,} postings", end="", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(SET_BALANCES)
    print(f"\nloaded in {time.perf_counter() - started:.0f}s")


def timings(client, url: str, requests: int) -> tuple[list[float], list[float], int, int]:
    """Per request (after a warm-up): milliseconds in all and milliseconds waiting on
    PostgreSQL; then the rows on the page and its SQL statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    waiting = [0.0]

    def clock(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waiting[0] += (time.perf_counter() - started) * 1000

    for _ in range(5):
        assert client.get(url).status_code == 200
    took, waited = [], []
    with connection.execute_wrapper(clock):
        for _ in range(requests):
            waiting[0] = 0.0
            started = time.perf_counter()
            response = client.get(url)
            took.append((time.perf_counter() - started) * 1000)
            waited.append(waiting[0])
            assert response.status_code == 200, response.content
    with CaptureQueriesContext(connection) as queries:
        rows = len(client.get(url).json()["results"])
    return took, waited, rows, len(queries)


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"{statistics.median(values):>7.1f} {cuts[98]:>7.1f}"


def explain(owner_id: int) -> None:
    """EXPLAIN ANALYZE of the statements of one first page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from tests.api import client_for

    with CaptureQueriesContext(connection) as queries:
        client_for(User.objects.get(pk=owner_id)).get(f"/api/v1/wallets/{owner_id}/transactions/")
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].startswith("SELECT ") or "ledger_" not in query["sql"]:
                continue  # the user's row, not the history read
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="print the page's query plans")
    args = parser.parse_args()
    # Production-like: no DEBUG query log, throttles out of the way.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("THROTTLE_USER_RATE", "1000000/min")
    os.environ.setdefault("THROTTLE_IP_RATE", "1000000/min")
    setup_django("wallet_history_bench")
    load(args.entries)

    from django.db import connection

    from accounts.models import User
    from ledger.models import Entry
    from tests.api import client_for

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{Entry.objects.count():,} entries; {args.requests} requests per line, one client")
    print(
        f"{'user':<6} {'entries':>7} {'query':<31} {'rows':>4} {'SQL':>3} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'in SQL: p50':>11} {'p99':>7}"
    )
    for email in (BUSY, SINGLE, PAIR):
        owner = User.objects.get(email=email)
        count = Entry.objects.filter(account__user=owner).count()
        client = client_for(owner)
        if args.explain:
            explain(owner.pk)
        for query in ("", "?type=SPEND", "?asset=GOLD&limit=20", "?search=item&since=2000-01-01"):
            took, waited, rows, statements = timings(
                client, f"/api/v1/wallets/me/transactions/{query}", args.requests
            )
            print(
                f"{email.split('@')[0].removeprefix('history-'):<6} {count:>7,} "
                f"{query or '(first page)':<31} {rows:>4} {statements:>3} "
                f"{percentiles(took)} {'':>3} {percentiles(waited)}"
            )


if __name__ == "__main__":
    main()
