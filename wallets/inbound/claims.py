"""External transactions that an app above wallets owns.

A `transaction.completed` of kind topup may settle something that app opened (payments:
a deposit whose provider reference is the transaction id). It registers a claim here in
its AppConfig.ready; the handler asks the claims before posting a plain top-up, so the
imports keep pointing down.
"""

from collections.abc import Callable

from accounts.models import User
from ledger.models import Asset, Transaction

# claim(external_id=, user=, asset=, amount=) -> the transaction that settled it, or None.
TopupClaim = Callable[..., Transaction | None]
_topup_claims: list[TopupClaim] = []


def register_topup_claim(claim: TopupClaim) -> None:
    if claim not in _topup_claims:
        _topup_claims.append(claim)


def claim_topup(*, external_id: str, user: User, asset: Asset, amount: int) -> Transaction | None:
    for claim in _topup_claims:
        posted = claim(external_id=external_id, user=user, asset=asset, amount=amount)
        if posted is not None:
            return posted
    return None
