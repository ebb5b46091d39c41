"""Checks every ledger invariant over the whole ledger with set-based SQL.

Each check is one query that returns the offending rows, so the work is a few
scans and hash joins whatever the size of the ledger. All checks read one
snapshot (REPEATABLE READ on PostgreSQL), so postings that commit meanwhile
cannot show up as false mismatches.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

from ledger.dashboard import EXPIRED, ISSUED, SPENT
from ledger.models import ReconciliationRun

SAMPLE_SIZE = 20

CHECKS: dict[str, str] = {
    "unbalanced_transactions": """
        SELECT transaction_id, asset_id, SUM(amount)
        FROM ledger_entry GROUP BY transaction_id, asset_id HAVING SUM(amount) <> 0
    """,
    "transactions_without_two_entries": """
        SELECT t.id, COUNT(e.id)
        FROM ledger_transaction t LEFT JOIN ledger_entry e ON e.transaction_id = t.id
        GROUP BY t.id HAVING COUNT(e.id) < 2
    """,
    "user_balance_not_sum_of_entries": """
        SELECT a.id, a.balance, COALESCE(s.total, 0)
        FROM ledger_account a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_entry GROUP BY account_id) s
          ON s.account_id = a.id
        WHERE a.user_id IS NOT NULL AND a.balance <> COALESCE(s.total, 0)
    """,
    "user_balance_below_zero_or_holds": """
        SELECT id, balance, held FROM ledger_account
        WHERE user_id IS NOT NULL AND (balance < 0 OR held < 0 OR balance < held)
    """,
    "held_not_sum_of_pending_holds": """
        SELECT a.id, a.held, COALESCE(h.total, 0)
        FROM ledger_account a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_hold
                   WHERE status = 'PENDING' GROUP BY account_id) h ON h.account_id = a.id
        WHERE a.held <> COALESCE(h.total, 0)
    """,
    "balance_after_out_of_step": """
        SELECT id, balance_after, running FROM (
          SELECT e.id, e.balance_after,
                 SUM(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS running
          FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
          WHERE a.user_id IS NOT NULL
        ) chain
        WHERE balance_after IS NULL OR balance_after <> running
    """,
    "entry_asset_differs_from_account": """
        SELECT e.id, e.asset_id, a.asset_id
        FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
        WHERE e.asset_id <> a.asset_id
    """,
    "system_row_holds_balance": """
        SELECT id, balance, held FROM ledger_account
        WHERE user_id IS NULL AND (balance <> 0 OR held <> 0)
    """,
    "lots_not_equal_to_balance": """
        SELECT a.id, a.balance, COALESCE(l.total, 0)
        FROM ledger_account a
        JOIN ledger_asset s ON s.id = a.asset_id
        LEFT JOIN (SELECT account_id, SUM(remaining) AS total FROM ledger_lot GROUP BY account_id) l
          ON l.account_id = a.id
        WHERE a.user_id IS NOT NULL AND s.expiry_days IS NOT NULL
          AND a.balance <> COALESCE(l.total, 0)
    """,
    # Both sides are unioned with opposite signs; any (account, type) not netting to zero
    # differs (portable: no FULL OUTER JOIN, which older SQLite lacks).
    "daily_totals_not_sum_of_entries": """
        SELECT account_id, type, SUM(credited), SUM(debited) FROM (
          SELECT account_id, type, credited, debited FROM ledger_dailytotal
          UNION ALL
          SELECT e.account_id, t.type,
                 -SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END),
                 -SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END)
          FROM ledger_entry e
          JOIN ledger_transaction t ON t.id = e.transaction_id
          JOIN ledger_account a ON a.id = e.account_id
          WHERE a.user_id IS NOT NULL
          GROUP BY e.account_id, t.type
        ) both_sides
        GROUP BY account_id, type HAVING SUM(credited) <> 0 OR SUM(debited) <> 0
    """,
    "reversal_not_mirroring_original": """
        SELECT r.id, e.account_id, SUM(e.amount)
        FROM ledger_transaction r
        JOIN ledger_entry e ON e.transaction_id = r.id OR e.transaction_id = r.reverses_id
        WHERE r.reverses_id IS NOT NULL
        GROUP BY r.id, e.account_id HAVING SUM(e.amount) <> 0
    """,
}


def register_check(name: str, sql: str) -> None:
    """Add a check from an app above the ledger (payments adds its own in its AppConfig.ready):
    `sql` returns the offending rows, like the checks above. The ledger imports no such app."""
    CHECKS[name] = sql


# What users hold and what moved in and out of their wallets per asset and type, summed
# from the entries themselves: the figures the dashboard reads from balances and daily totals.
SUMS = """
    SELECT s.code, t.type,
           SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END),
           SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END),
           SUM(e.amount)
    FROM ledger_entry e
    JOIN ledger_transaction t ON t.id = e.transaction_id
    JOIN ledger_account a ON a.id = e.account_id
    JOIN ledger_asset s ON s.id = e.asset_id
    WHERE a.user_id IS NOT NULL
    GROUP BY s.code, t.type
"""
HELD = """
    SELECT s.code, SUM(h.amount) FROM ledger_hold h
    JOIN ledger_account a ON a.id = h.account_id JOIN ledger_asset s ON s.id = a.asset_id
    WHERE h.status = 'PENDING' GROUP BY s.code
"""


@dataclass
class Report:
    problems: dict[str, dict] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    sums: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": self.problems,
            "sums": self.sums,
        }


def check_ledger() -> Report:
    """Run every check and return what each found (nothing means the ledger is sound)."""
    report = Report()
    # Only an outermost transaction can choose its isolation level.
    own_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with db_transaction.atomic(), connection.cursor() as cursor:
        if own_snapshot:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for name, sql in CHECKS.items():
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) found")
            (count,) = cursor.fetchone()
            report.checked.append(name)
            if count:
                cursor.execute(f"{sql} LIMIT {SAMPLE_SIZE}")
                report.problems[name] = {
                    "count": count,
                    "sample": [_plain(row) for row in cursor.fetchall()],
                }
        report.sums = _sums(cursor)
    return report


def _sums(cursor) -> dict[str, dict[str, int]]:
    """Per asset code, from the entries: circulation, held, and all-time issued, spent and
    expired (credits to wallets of an issuing type, debits of a spending or expiring one)."""
    sums: dict[str, dict[str, int]] = {}

    def of(code: str) -> dict[str, int]:
        return sums.setdefault(
            code, {"circulation": 0, "held": 0, "issued": 0, "spent": 0, "expired": 0}
        )

    cursor.execute(SUMS)
    for code, type_, credited, debited, net in cursor.fetchall():
        figures = of(code)
        figures["circulation"] += int(net)
        figures["issued"] += int(credited) if type_ in ISSUED else 0
        figures["spent"] += int(debited) if type_ in SPENT else 0
        figures["expired"] += int(debited) if type_ in EXPIRED else 0
    cursor.execute(HELD)
    for code, held in cursor.fetchall():
        of(code)["held"] = int(held)
    return sums


def _plain(row: tuple) -> list:
    # PostgreSQL sums bigints as numeric; the report is stored as JSON.
    return [int(value) if isinstance(value, Decimal) else value for value in row]


def record_reconciliation() -> ReconciliationRun:
    """Check the ledger and keep the result, so the back office can show the last run."""
    run = ReconciliationRun.objects.create()
    report = check_ledger()
    run.finished_at = timezone.now()
    run.ok = report.ok
    run.report = report.as_dict()
    run.save(update_fields=["finished_at", "ok", "report"])
    return run
