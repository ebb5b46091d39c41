"""Maker–checker for staff postings made in the back office (adjustments, bonuses).

The ledger keeps no approval queue; an app above it registers one here (payments does,
in its AppConfig.ready). The admin actions ask `held_for_approval` before posting: when
a gate takes the posting for a second staff member's approval, the action posts
nothing and reports the gate's note.
"""

from collections.abc import Callable

from ledger.models import Account
from ledger.users import WalletUser

# gate(kind=, account=, amount=, reason=, requested_by=) -> a note, or None: post now.
Gate = Callable[..., str | None]
_gates: list[Gate] = []


def register_gate(gate: Gate) -> None:
    if gate not in _gates:
        _gates.append(gate)


def held_for_approval(
    *, kind: str, account: Account, amount: int, reason: str, requested_by: WalletUser
) -> str | None:
    """`kind` is "adjustment" or "bonus"; `amount` in minor units (signed for an
    adjustment). Returns what to tell the operator when the posting waits, else None."""
    for gate in _gates:
        note = gate(
            kind=kind, account=account, amount=amount, reason=reason, requested_by=requested_by
        )
        if note is not None:
            return note
    return None
