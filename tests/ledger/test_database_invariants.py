"""The database itself refuses what would break the ledger, whatever code sends it.

The CHECK and UNIQUE constraints hold on SQLite too; the triggers (immutable rows,
balanced transactions) and the entry's composite key to its account are PostgreSQL's,
so on the embedded SQLite only the posting engine keeps those."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from ledger.models import Account, AccountPurpose, Entry, Transaction, TransactionType
from ledger.services import debit
from tests.factories import spend, wallet

RAW_ERRORS = (IntegrityError, InternalError)


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entry SET amount = amount * 2 WHERE transaction_id = %s",
        "DELETE FROM ledger_entry WHERE transaction_id = %s",
        "UPDATE ledger_transaction SET description = 'edited' WHERE id = %s",
        "DELETE FROM ledger_transaction WHERE id = %s",
    ],
)
def test_ledger_rows_cannot_be_updated_or_deleted(alice, sql):
    spent = spend(alice, 10)

    with (
        pytest.raises(RAW_ERRORS, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [spent.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(("balance", "held"), [(-1, 0), (5, 6), (5, -1)])
def test_user_balance_below_zero_or_holds_is_refused(alice, balance, held):
    gold = wallet(alice, "GOLD")

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=gold.pk).update(balance=balance, held=held)


@pytest.mark.django_db
def test_system_account_row_cannot_hold_a_balance(alice):
    spend(alice, 10)
    revenue = Account.objects.get(purpose=AccountPurpose.REVENUE, asset__code="GOLD")

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=revenue.pk).update(balance=10)


@pytest.mark.django_db
def test_a_transaction_is_reversed_at_most_once(alice):
    spent = spend(alice, 10)
    revenue = Account.objects.get(purpose=AccountPurpose.REVENUE, asset__code="GOLD")

    with pytest.raises(IntegrityError, match="reverses_id"), transaction.atomic():
        for _ in range(2):
            reversal = Transaction.objects.create(type=TransactionType.REVERSAL, reverses=spent)
            Entry.objects.bulk_create(
                [
                    Entry(
                        transaction=reversal, account=revenue, asset_id=revenue.asset_id, amount=-10
                    ),
                    Entry(
                        transaction=reversal,
                        account=wallet(alice, "GOLD"),
                        asset_id=revenue.asset_id,
                        amount=10,
                    ),
                ]
            )


@pytest.mark.django_db
def test_an_idempotency_key_is_unique(alice):
    debit(
        account=wallet(alice, "GOLD"),
        amount=1,
        type=TransactionType.SPEND,
        destination=AccountPurpose.REVENUE,
        idempotency_key="once",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(type=TransactionType.ADJUSTMENT, idempotency_key="once")


@pytest.mark.django_db
def test_an_entry_of_zero_is_refused(alice):
    gold = wallet(alice, "GOLD")

    with pytest.raises(IntegrityError), transaction.atomic():
        txn = Transaction.objects.create(type=TransactionType.ADJUSTMENT)
        Entry.objects.create(transaction=txn, account=gold, asset_id=gold.asset_id, amount=0)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_unbalanced_entries_are_refused(alice):
    gold = wallet(alice, "GOLD")
    revenue = Account.objects.create(purpose=AccountPurpose.REVENUE, asset=gold.asset)
    before = Transaction.objects.count()

    with pytest.raises(RAW_ERRORS, match="does not balance"), transaction.atomic():
        txn = Transaction.objects.create(type=TransactionType.ADJUSTMENT)
        Entry.objects.bulk_create(
            [
                Entry(transaction=txn, account=revenue, asset_id=gold.asset_id, amount=-10),
                Entry(transaction=txn, account=gold, asset_id=gold.asset_id, amount=9),
            ]
        )

    assert Transaction.objects.count() == before


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_transactions_entries_go_in_with_one_statement(alice):
    """Each INSERT must leave the transactions it touches balanced: no half-written
    transaction is ever visible, not even inside the database transaction writing it."""
    gold = wallet(alice, "GOLD")
    revenue = Account.objects.create(purpose=AccountPurpose.REVENUE, asset=gold.asset)

    with pytest.raises(RAW_ERRORS, match="does not balance"), transaction.atomic():
        txn = Transaction.objects.create(type=TransactionType.ADJUSTMENT)
        Entry.objects.create(transaction=txn, account=revenue, asset_id=gold.asset_id, amount=-10)
        Entry.objects.create(transaction=txn, account=gold, asset_id=gold.asset_id, amount=10)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_entry_of_another_asset_than_its_account_is_refused(alice):
    gold, silver = wallet(alice, "GOLD"), wallet(alice, "SILVER")
    revenue = Account.objects.create(purpose=AccountPurpose.REVENUE, asset=gold.asset)

    with pytest.raises(IntegrityError), transaction.atomic():
        txn = Transaction.objects.create(type=TransactionType.ADJUSTMENT)
        Entry.objects.bulk_create(
            [
                Entry(transaction=txn, account=revenue, asset_id=gold.asset_id, amount=-10),
                Entry(transaction=txn, account=silver, asset_id=gold.asset_id, amount=10),
            ]
        )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_entry_of_an_unknown_account_is_refused(alice):
    gold = wallet(alice, "GOLD")

    with pytest.raises(IntegrityError), transaction.atomic():
        txn = Transaction.objects.create(type=TransactionType.ADJUSTMENT)
        Entry.objects.bulk_create(
            [
                Entry(transaction=txn, account=gold, asset_id=gold.asset_id, amount=-10),
                Entry(transaction=txn, account_id=10**9, asset_id=gold.asset_id, amount=10),
            ]
        )
        # Foreign keys are checked at commit.


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_transaction_without_entries_is_refused_at_commit(alice):
    before = Transaction.objects.count()

    with pytest.raises(RAW_ERRORS, match="fewer than two entries"), transaction.atomic():
        Transaction.objects.create(type=TransactionType.ADJUSTMENT)

    assert Transaction.objects.count() == before
