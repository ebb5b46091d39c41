"""bulk_transfer throughput: a CSV of N rows (top-ups from the treasury, then
user-to-user transfers among U users), posted, then posted again (all replays).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench \
        .venv/bin/python bench/bulk_transfer.py [--rows 100000] [--users 2000] \
        [--workers 2] [--batch-size 1000] [--fresh]

--fresh starts from a new database (what a first bulk load meets: no statistics).
It runs under production settings unless DJANGO_SETTINGS_MODULE says otherwise.
"""

import argparse
import os
import random
import secrets
import tempfile
import time
from io import StringIO
from pathlib import Path

# The command as production runs it: DEBUG off, so no query is kept in memory.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # this run's only

from setup import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    args = parser.parse_args()
    setup_django(fresh=args.fresh)

    from django.core.management import call_command

    from accounts.models import User
    from ledger.models import Account, Asset

    coin, _ = Asset.objects.get_or_create(
        code="COIN", defaults={"name": "Game Coin", "scale": 2, "transferable": True}
    )
    run = f"{time.time_ns():x}"
    users = User.objects.bulk_create(
        [User(email=f"bulk{run}-{i}@example.com") for i in range(args.users)]
    )
    Account.objects.bulk_create([Account(user=user, asset=coin) for user in users])
    emails = [user.email for user in users]

    rng = random.Random(7)
    path = Path(tempfile.mkdtemp()) / "transfers.csv"
    with path.open("w") as out:
        out.write("from,to,asset,amount,reference\n")
        for line, email in enumerate(emails):
            out.write(f"TREASURY,{email},COIN,1000.00,fund-{run}-{line}\n")
        for line in range(args.rows - len(emails)):
            source, target = rng.sample(emails, 2)
            out.write(f"{source},{target},COIN,{rng.randint(1, 500) / 100:.2f},t-{run}-{line}\n")

    print(
        f"{args.rows} rows among {args.users} users, {args.workers} workers, "
        f"batches of {args.batch_size}"
    )
    for attempt in ("first run", "re-run (all replays)"):
        out = StringIO()
        started = time.perf_counter()
        call_command(
            "bulk_transfer",
            str(path),
            f"--workers={args.workers}",
            f"--batch-size={args.batch_size}",
            stdout=out,
        )
        took = time.perf_counter() - started
        summary = [line for line in out.getvalue().splitlines() if line.startswith("Posted")]
        print(
            f"{attempt}: {args.rows} rows in {took:.1f}s = {args.rows / took:,.0f} rows/s "
            f"(validation included)"
        )
        print("  " + summary[-1].split(" Results:")[0])


if __name__ == "__main__":
    main()
