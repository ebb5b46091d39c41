"""Ledger operations, one module per resource. Each moves value only through the one
posting engine, `ledger.posting`.

- `accounts`: user wallets and system accounts, opened on first use; freezing.
- `movements`: credit, debit, adjust, transfer, convert.
- `reversal`: the exact opposite of a transaction, once.
- `holds`: place, capture, void and expire two-phase reservations.
- `expiry`: expired lots moved to EXPIRED.

Every function opens its own database transaction, or a savepoint inside the caller's (so a
rewards purchase can decrement stock and post in one commit). Amounts are int minor
units; the wallets layer converts from decimals. `from ledger import services` keeps
reaching every verb through the names below.
"""

from ledger.services.accounts import get_system_account, open_user_accounts, set_account_status
from ledger.services.expiry import expire_lots
from ledger.services.holds import capture_hold, place_hold, release_expired_holds, void_hold
from ledger.services.movements import adjust, convert, credit, debit, transfer
from ledger.services.reversal import reverse_transaction

__all__ = [
    "adjust",
    "capture_hold",
    "convert",
    "credit",
    "debit",
    "expire_lots",
    "get_system_account",
    "open_user_accounts",
    "place_hold",
    "release_expired_holds",
    "reverse_transaction",
    "set_account_status",
    "transfer",
    "void_hold",
]
