import pytest
from django.db import connection

from ledger.statistics import analyze_stale
from tests.factories import fund, wallet

pytestmark = pytest.mark.postgres_only  # PostgreSQL's planner statistics; SQLite has none to keep


def flush_statistics() -> None:
    """Make this backend's pending table counters visible now, not within a second."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")


def analyzed_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_table_that_outgrew_its_statistics_is_analyzed_once(alice):
    gold = wallet(alice, "GOLD")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_transaction, ledger_asset")
    size_then = analyzed_rows("ledger_transaction")
    for _ in range(int(size_then) + 3):
        fund(gold, 1)
    flush_statistics()

    assert analyze_stale(["ledger_transaction", "ledger_asset"], slack=0, min_interval=0) == [
        "ledger_transaction"
    ]
    assert analyzed_rows("ledger_transaction") > size_then
    flush_statistics()
    assert analyze_stale(["ledger_transaction"], slack=0, min_interval=0) == []
