"""Every write of money in and out, one module per resource: `deposits`, `withdrawals`,
`payments` (and refunds), `approvals` (maker–checker). Each moves value only through
the ledger's services; each locks the row whose state it changes before reading that
state, so two concurrent transitions of one row happen one after the other."""
