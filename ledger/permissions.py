"""The ledger's own permissions (declared on Account's Meta), by their full names.

Roles (accounts.roles) grant them to groups; views and admin actions ask for them."""

VIEW_ANY_WALLET = "ledger.view_any_wallet"
CREDIT_ANY_WALLET = "ledger.credit_any_wallet"
DEBIT_ANY_WALLET = "ledger.debit_any_wallet"
HOLD_ANY_WALLET = "ledger.hold_any_wallet"
REVERSE_TRANSACTION = "ledger.reverse_transaction"
REPORT_ACTIVITY = "ledger.report_activity"
FREEZE_WALLET = "ledger.freeze_wallet"
# Running `reconcile` from the back office records a ReconciliationRun (rows nobody adds
# by hand: the admin refuses adding them whatever the permission).
RUN_RECONCILE = "ledger.add_reconciliationrun"
