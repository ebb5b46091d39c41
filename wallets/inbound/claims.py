"""External transactions that an app above wallets owns.

A `transaction.completed` of kind topup may settle something that app opened (payments:
a deposit whose provider reference is the transaction id), and a `transaction.failed`
may fail it. The app registers claims here in its AppConfig.ready; the handlers ask them
before posting a plain top-up or recording a bare failure, so the imports keep pointing
down.
"""

from collections.abc import Callable

from accounts.models import User
from ledger.models import Asset, Transaction

# claim(external_id=, user=, asset=, amount=) -> the transaction that settled it, or None.
TopupClaim = Callable[..., Transaction | None]
_topup_claims: list[TopupClaim] = []
# claim(external_id=, reason=): fails what it owns under that id, if anything.
FailureClaim = Callable[..., None]
_failure_claims: list[FailureClaim] = []


def register_topup_claim(claim: TopupClaim) -> None:
    if claim not in _topup_claims:
        _topup_claims.append(claim)


def claim_topup(*, external_id: str, user: User, asset: Asset, amount: int) -> Transaction | None:
    for claim in _topup_claims:
        posted = claim(external_id=external_id, user=user, asset=asset, amount=amount)
        if posted is not None:
            return posted
    return None


def register_failure_claim(claim: FailureClaim) -> None:
    if claim not in _failure_claims:
        _failure_claims.append(claim)


def claim_failure(*, external_id: str, reason: str) -> None:
    for claim in _failure_claims:
        claim(external_id=external_id, reason=reason)
