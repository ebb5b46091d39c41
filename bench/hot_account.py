"""Concurrent earns from one REWARDS system account: are they serialised?

Runs N worker processes for a few seconds each; every worker credits its own
users from the same REWARDS account through the posting engine. The same load
runs again with the naive design — the system row locked in each transaction,
as if its balance were kept on it — to show what the engine avoids.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench \
        .venv/bin/python bench/hot_account.py [--seconds 5] [--workers 1,4,16]
"""

import argparse
import multiprocessing
import time

from setup import setup_django


def worker(user_ids: list[int], seconds: float, lock_system_row: bool, results) -> None:
    from django.db import connection, transaction

    from ledger.models import Account, AccountPurpose, TransactionType
    from ledger.services import credit, get_system_account

    connection.close()
    wallets = [
        Account.objects.select_related("asset").get(user_id=uid, asset__code="BENCH")
        for uid in user_ids
    ]
    rewards = get_system_account(purpose=AccountPurpose.REWARDS, asset=wallets[0].asset)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with transaction.atomic():
            if lock_system_row:
                Account.objects.select_for_update().filter(pk=rewards.pk).first()
            credit(
                account=wallets[done % len(wallets)],
                amount=1,
                type=TransactionType.EARN,
                source=AccountPurpose.REWARDS,
            )
        done += 1
    connection.close()
    results.put(done)


def run(workers: int, seconds: float, lock_system_row: bool, users: list[int]) -> float:
    results = multiprocessing.Queue()
    share = max(1, len(users) // workers)
    procs = [
        multiprocessing.Process(
            target=worker,
            args=(
                users[i * share : (i + 1) * share] or users[:1],
                seconds,
                lock_system_row,
                results,
            ),
        )
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    total = sum(results.get() for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", default="1,4,16")
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from accounts.models import User
    from ledger.models import Account, Asset
    from ledger.services import open_user_accounts

    Asset.objects.get_or_create(code="BENCH", defaults={"name": "Bench points"})
    users = []
    for i in range(64):
        user, _ = User.objects.get_or_create(email=f"bench{i}@example.com")
        open_user_accounts(user=user)
        users.append(user.pk)
    assert Account.objects.filter(user_id__in=users, asset__code="BENCH").count() == 64
    connection.close()

    cores = multiprocessing.cpu_count()
    print(f"earns/s from one REWARDS account, {args.seconds:g}s per run, {cores} cores")
    print(f"{'workers':>8} {'engine':>10} {'locked row':>11} {'engine/locked':>14}")
    for count in [int(n) for n in args.workers.split(",")]:
        engine = run(count, args.seconds, False, users)
        locked = run(count, args.seconds, True, users)
        print(f"{count:>8} {engine:>10.0f} {locked:>11.0f} {engine / locked:>13.2f}x")


if __name__ == "__main__":
    main()
