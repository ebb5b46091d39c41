"""Real threads, each with its own database connection, racing through the engine.

On PostgreSQL the row locks, taken in one order, and the advisory lock on an
idempotency key keep the guarantees. On the embedded SQLite (the second test lane)
BEGIN IMMEDIATE does: each writer holds the database's one write lock from its
first statement to its commit, so no two of them ever read the same balance."""

import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from config.env import database_from_url
from core.errors import DomainError
from ledger.models import AccountPurpose, Entry, Transaction, TransactionType
from ledger.services import credit, debit, reverse_transaction, transfer
from tests.factories import create_user, fund, wallet
from tests.threads import outcomes, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_on_sqlite_the_threads_race_on_the_dev_servers_database():
    """What the races below prove on SQLite holds for `scripts/start` only if they run
    on its configuration: a file (threads on :memory: would share one cache), WAL and
    BEGIN IMMEDIATE (with DEFERRED they fail with "database is locked")."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite lane's configuration")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (journal_mode,) = cursor.fetchone()

    assert journal_mode == "wal"
    assert not connection.is_in_memory_db()
    dev_server = database_from_url("", sqlite_path=Path("db.sqlite3"))
    assert connection.settings_dict["OPTIONS"] == dev_server["OPTIONS"]


def test_32_threads_spending_from_one_wallet_never_overdraw(alice, assert_reconciles):
    gold = wallet(alice, "GOLD")  # 100 from the signup grant

    results = run_in_threads(
        32,
        lambda _: debit(
            account=gold, amount=7, type=TransactionType.SPEND, destination=AccountPurpose.REVENUE
        ),
    )

    assert outcomes(results) == {"Transaction": 14, "insufficient_funds": 18}
    assert wallet(alice, "GOLD").balance == 100 - 14 * 7
    assert_reconciles()


def test_crossing_transfers_never_deadlock(alice, bob, assert_reconciles):
    alice_coin, bob_coin = fund(wallet(alice, "COIN"), 10_000), fund(wallet(bob, "COIN"), 10_000)

    def cross(index: int) -> int:
        source, destination = (alice_coin, bob_coin) if index % 2 else (bob_coin, alice_coin)
        for _ in range(10):
            transfer(source=source, destination=destination, amount=index + 1)
        return index

    results = run_in_threads(16, cross)

    assert outcomes(results) == {"int": 16}
    sent_by_alice = sum((i + 1) * 10 for i in range(16) if i % 2)
    sent_by_bob = sum((i + 1) * 10 for i in range(16) if not i % 2)
    assert wallet(alice, "COIN").balance == 10_000 - sent_by_alice + sent_by_bob
    assert wallet(bob, "COIN").balance == 10_000 + sent_by_alice - sent_by_bob
    assert_reconciles()


def test_16_concurrent_posts_with_one_key_move_value_once(alice, assert_reconciles):
    silver = wallet(alice, "SILVER")

    results = run_in_threads(
        16,
        lambda _: (
            credit(
                account=silver,
                amount=25,
                type=TransactionType.EARN,
                source=AccountPurpose.REWARDS,
                idempotency_key="race-key",
            ).pk
        ),
    )

    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert Transaction.objects.filter(idempotency_key="race-key").count() == 1
    assert wallet(alice, "SILVER").balance == 25
    assert_reconciles()


def test_concurrent_reversals_of_one_transaction_post_once(alice, assert_reconciles):
    spent = debit(
        account=wallet(alice, "GOLD"),
        amount=30,
        type=TransactionType.SPEND,
        destination=AccountPurpose.REVENUE,
    )

    results = run_in_threads(
        8, lambda i: reverse_transaction(transaction_id=spent.pk, reason=f"refund {i}")
    )

    assert outcomes(results) == {"Transaction": 1, "already_reversed": 7}
    assert wallet(alice, "GOLD").balance == 100
    assert_reconciles()


def test_many_users_earning_from_one_system_account_all_succeed(assets, assert_reconciles):
    users = [create_user() for _ in range(16)]

    def earn(index: int) -> int:
        account = wallet(users[index], "SILVER")
        for _ in range(20):
            credit(
                account=account, amount=3, type=TransactionType.EARN, source=AccountPurpose.REWARDS
            )
        return index

    results = run_in_threads(16, earn)

    assert outcomes(results) == {"int": 16}
    assert all(wallet(user, "SILVER").balance == 60 for user in users)
    assert_reconciles()


def test_racing_debits_and_credits_keep_every_invariant(alice, bob, assert_reconciles):
    """The heaviest mix: spends, earns, transfers and holds on two wallets at once."""
    alice_coin, bob_coin = fund(wallet(alice, "COIN"), 500), fund(wallet(bob, "COIN"), 500)

    def mixed(index: int) -> str:
        mine, theirs = (alice_coin, bob_coin) if index % 2 else (bob_coin, alice_coin)
        for step in range(15):
            try:
                match step % 3:
                    case 0:
                        transfer(source=mine, destination=theirs, amount=37)
                    case 1:
                        debit(
                            account=mine,
                            amount=29,
                            type=TransactionType.SPEND,
                            destination=AccountPurpose.REVENUE,
                        )
                    case 2:
                        credit(
                            account=mine,
                            amount=11,
                            type=TransactionType.EARN,
                            source=AccountPurpose.REWARDS,
                        )
            except DomainError as refused:
                assert refused.code == "insufficient_funds"
        return "done"

    results = run_in_threads(24, mixed)

    assert outcomes(results) == {"str": 24}
    assert wallet(alice, "COIN").balance >= 0 and wallet(bob, "COIN").balance >= 0
    assert_reconciles()


def _session() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.mark.postgres_only  # a row lock held from another session, a sequence
def test_a_posting_takes_its_ids_only_once_it_holds_the_wallets_lock(alice, assert_reconciles):
    """A wallet's entries get ids in the order its postings commit (reconcile's
    balance-after chain follows ids): a posting waiting for the wallet's lock has not
    taken its ids yet, so one taken meanwhile by whoever holds the lock is smaller."""
    # given: another session holds alice's GOLD wallet locked
    gold = wallet(alice, "GOLD")
    holder, watcher = _session(), _session()
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR NO KEY UPDATE", [gold.pk])
    posted: list[object] = []

    def spend() -> None:
        try:
            posted.append(
                debit(
                    account=gold,
                    amount=7,
                    type=TransactionType.SPEND,
                    destination=AccountPurpose.REVENUE,
                )
            )
        finally:
            connection.close()

    # when: a spend waits for that lock, and the holder takes an entry id meanwhile
    waiting = threading.Thread(target=spend)
    waiting.start()
    for _ in range(200):
        (blocked,) = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        ).fetchone()
        if blocked:
            break
        time.sleep(0.05)
    assert blocked, "the spend never waited for the lock"
    taken_meanwhile, txn_taken_meanwhile = holder.execute(
        "SELECT nextval('ledger_entry_id_seq'), nextval('ledger_transaction_id_seq')"
    ).fetchone()
    holder.execute("ROLLBACK")
    waiting.join(timeout=30)
    holder.close()
    watcher.close()

    # then: the spend's ids come after it
    (txn,) = posted
    assert isinstance(txn, Transaction)
    entry_ids = list(Entry.objects.filter(transaction=txn).values_list("pk", flat=True))
    assert len(entry_ids) == 2
    assert min(entry_ids) > taken_meanwhile
    assert txn.pk > txn_taken_meanwhile
    assert_reconciles()
