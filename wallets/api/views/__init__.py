"""The wallet API, one module per resource its URLs name (wallets/api/urls.py):
wallets/{user} balances (wallets), wallets/{user}/transactions (history), the
wallets/{user}/ spend, transfer, convert, earn, topup and bonus (movements), holds,
transactions, and the public assets and conversions (catalog).

Thin views over wallets.services and ledger.services, reading through selectors. Each
write: check who may act on the wallet -> validate the input -> one service call ->
serialise the transaction; Idempotency-Key handling wraps the whole. View modules never
import each other: what they share is in wallets/api/access.py and wallets/api/writes.py.
"""
