"""How long a spend holds its wallet's lock, phase by phase, in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench_http \
        .venv/bin/python bench/lock_hold.py [--spends 300] [--ids-apart]

Spends 1 from one funded GOLD wallet of bench/request_path.py's database --spends
times through the engine and prints the median and least of: lock statement returned
-> write sent, the write, write returned -> COMMIT returned (and the commit hooks).
A hot wallet's throughput is one over this hold. `--ids-apart` takes the ids in a
statement of their own after the lock, as the engine did before they joined the lock.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spends", type=int, default=300)
    parser.add_argument("--ids-apart", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    import ledger.posting as posting
    from ledger.models import Account, AccountPurpose, TransactionType
    from ledger.services import debit

    marks: dict[str, float] = {}
    lock, write = posting.lock_for_posting, posting.write_postings

    def timed_lock(ids, ids_for):
        locked, taken = lock(ids, ids_for=(0, 0) if args.ids_apart else ids_for)
        marks["locked"] = time.perf_counter()
        # Apart: no ids from the lock, so the engine takes them in a statement of their own.
        return locked, None if args.ids_apart else taken

    def timed_write(*a, **k):
        marks["write"] = time.perf_counter()
        write(*a, **k)
        marks["written"] = time.perf_counter()

    posting.lock_for_posting, posting.write_postings = timed_lock, timed_write
    account = Account.objects.filter(
        user__isnull=False, asset__code="GOLD", balance__gt=10**6
    ).order_by("pk")[0]
    phases = []
    for _ in range(args.spends):
        debit(
            account=account,
            amount=1,
            type=TransactionType.SPEND,
            destination=AccountPurpose.REVENUE,
        )
        done = time.perf_counter()
        phases.append(
            (
                marks["write"] - marks["locked"],
                marks["written"] - marks["write"],
                done - marks["written"],
                done - marks["locked"],
            )
        )
    print(f"ids {'apart' if args.ids_apart else 'in the lock statement'}, {args.spends} spends")
    names = ("lock -> write", "write", "write -> commit", "hold")
    for name, values in zip(names, zip(*phases, strict=True), strict=True):
        print(
            f"{name:>16}: median {statistics.median(values) * 1000:5.2f} ms, "
            f"least {min(values) * 1000:5.2f} ms"
        )


if __name__ == "__main__":
    main()
