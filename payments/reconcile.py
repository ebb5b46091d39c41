"""The invariants of money in and out, added to `reconcile` (ledger.reconcile) from
PaymentsConfig.ready: each query returns the offending rows; portable SQL (SQLite too)."""

CHECKS: dict[str, str] = {
    # Each open withdrawal holds exactly its amount; a completed one captured it all; a
    # refused, cancelled or failed one released it. With the ledger's own check (held =
    # the pending holds), what is held for withdrawals equals the open withdrawals.
    "withdrawal_hold_out_of_step": """
        SELECT w.id, w.status, h.status, w.amount, h.amount
        FROM payments_withdrawal w JOIN ledger_hold h ON h.id = w.hold_id
        WHERE w.amount <> h.amount OR w.account_id <> h.account_id
           OR (w.status IN ('requested', 'approved', 'sent') AND h.status <> 'PENDING')
           OR (w.status = 'completed' AND (h.status <> 'CAPTURED' OR h.captured_amount <> w.amount))
           OR (w.status IN ('failed', 'rejected', 'cancelled') AND h.status <> 'VOIDED')
    """,
    "refunds_exceed_payment": """
        SELECT p.id, p.amount, p.refunded_amount, COALESCE(r.total, 0)
        FROM payments_payment p
        LEFT JOIN (SELECT payment_id, SUM(amount) AS total FROM payments_refund
                   GROUP BY payment_id) r ON r.payment_id = p.id
        WHERE COALESCE(r.total, 0) > p.amount OR COALESCE(r.total, 0) <> p.refunded_amount
    """,
    # What each provider's account paid out as TOPUPs is what its succeeded deposits were.
    "deposits_not_equal_provider_topups": """
        SELECT a.id, a.label, a.asset_id, COALESCE(d.total, 0), COALESCE(t.total, 0)
        FROM ledger_account a
        LEFT JOIN (SELECT provider, asset_id, SUM(amount) AS total FROM payments_deposit
                   WHERE status = 'succeeded' GROUP BY provider, asset_id) d
          ON d.provider = a.label AND d.asset_id = a.asset_id
        LEFT JOIN (SELECT e.account_id, -SUM(e.amount) AS total
                   FROM ledger_entry e JOIN ledger_transaction tx ON tx.id = e.transaction_id
                   WHERE tx.type = 'TOPUP' GROUP BY e.account_id) t ON t.account_id = a.id
        WHERE a.purpose = 'PROVIDER' AND COALESCE(d.total, 0) <> COALESCE(t.total, 0)
    """,
    "succeeded_deposit_not_credited": """
        SELECT d.id, d.amount, COALESCE(e.amount, 0)
        FROM payments_deposit d
        LEFT JOIN ledger_entry e ON e.transaction_id = d.transaction_id
                                AND e.account_id = d.account_id
        WHERE d.status = 'succeeded' AND (e.amount IS NULL OR e.amount <> d.amount)
    """,
}
