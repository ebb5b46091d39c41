"""Invariants PostgreSQL enforces whatever code writes to it.

- Transactions and entries are insert-only: UPDATE and DELETE raise.
- At commit, every transaction's entries sum to zero per asset, and every
  transaction has at least two entries (deferred constraint triggers, so the
  engine may insert the rows of one posting in any order).
"""

from django.db import migrations

from ledger.db import PostgresOnlySQL

FORWARD = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Post a REVERSAL or an ADJUSTMENT instead.';
END $$;

CREATE TRIGGER ledger_transaction_immutable
    BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entry_immutable
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT asset_id, SUM(amount) AS total INTO unbalanced
    FROM ledger_entry WHERE transaction_id = NEW.transaction_id
    GROUP BY asset_id HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transaction % does not balance: asset % sums to %',
            NEW.transaction_id, unbalanced.asset_id, unbalanced.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entries_balance
    AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entries_balance();

CREATE FUNCTION ledger_check_transaction_has_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM ledger_entry WHERE transaction_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'transaction % has fewer than two entries', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transaction_has_entries
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_has_entries();
"""

BACKWARD = """
DROP TRIGGER ledger_transaction_has_entries ON ledger_transaction;
DROP FUNCTION ledger_check_transaction_has_entries();
DROP TRIGGER ledger_entries_balance ON ledger_entry;
DROP FUNCTION ledger_check_entries_balance();
DROP TRIGGER ledger_entry_immutable ON ledger_entry;
DROP TRIGGER ledger_transaction_immutable ON ledger_transaction;
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [PostgresOnlySQL(FORWARD, BACKWARD)]
