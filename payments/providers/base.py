"""The provider interface: what the payments app asks of a payment processor."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.models import Deposit, Withdrawal


@dataclass(frozen=True)
class CallbackEvent:
    """A verified provider callback: `type` is `deposit.succeeded` or `deposit.failed`;
    `reference` the provider's reference of the deposit; `id` the event's own id."""

    id: str
    type: str
    reference: str
    reason: str = ""


class PaymentProvider(ABC):
    """A payment processor. Calls go out inside the database transaction that records
    their result, so they must be quick and idempotent on the provider's side (a real
    provider takes our deposit/withdrawal id as its idempotency key)."""

    def __init__(self, name: str):
        self.name = name

    @abstractmethod
    def start_deposit(self, deposit: "Deposit") -> str:
        """Ask the provider to collect the deposit; return its reference for it."""

    @abstractmethod
    def tokenize_destination(self, *, account_number: str, bank_name: str) -> str:
        """Hand the full account number to the provider once; return its token."""

    @abstractmethod
    def send_payout(self, withdrawal: "Withdrawal") -> str:
        """Ask the provider to pay the withdrawal out to its token; return a reference."""

    @abstractmethod
    def verify_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Check the callback's signature and freshness and read it. Raises
        core.errors.ValidationError (malformed) or PermissionDenied (bad signature)."""
