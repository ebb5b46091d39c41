"""The built-in provider: no money leaves the machine. Like a card processor's test
mode, it confirms or fails on demand (`signed_callback`), which the demo, the admin's
"simulate" actions and the tests use.

Its callbacks are signed like the service's own webhooks: header
`Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
provider's secret (PAYMENTS_PROVIDER_SECRETS). A timestamp older than
PAYMENTS_CALLBACK_TOLERANCE seconds is refused, so a captured callback cannot be
replayed later; within that window its event id makes a replay change nothing.
"""

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings

from core.errors import PermissionDenied, ValidationError
from payments.providers.base import CallbackEvent, PaymentProvider

if TYPE_CHECKING:
    from payments.models import Deposit, Withdrawal

SIGNATURE_HEADER = "Provider-Signature"
EVENT_TYPES = ("deposit.succeeded", "deposit.failed")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class SimulatedProvider(PaymentProvider):
    @property
    def secret(self) -> str:
        return settings.PAYMENTS_PROVIDER_SECRETS[self.name]

    def start_deposit(self, deposit: "Deposit") -> str:
        return f"sim_dep_{uuid.uuid4().hex}"

    def tokenize_destination(self, *, account_number: str, bank_name: str) -> str:
        return f"sim_dst_{uuid.uuid4().hex}"

    def send_payout(self, withdrawal: "Withdrawal") -> str:
        return f"sim_po_{withdrawal.pk}"

    def signed_callback(
        self, *, reference: str, succeeded: bool, reason: str = "", at: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers the provider would POST to providers/{name}/callback."""
        event = {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": EVENT_TYPES[0] if succeeded else EVENT_TYPES[1],
            "reference": reference,
            "reason": reason,
        }
        body = json.dumps(event).encode()
        timestamp = int(time.time()) if at is None else at
        return body, {SIGNATURE_HEADER: sign(self.secret, timestamp, body)}

    def verify_callback(self, *, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        timestamp, signature = _parse_signature(headers.get(SIGNATURE_HEADER, ""))
        expected = sign(self.secret, timestamp, body).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, signature):
            raise PermissionDenied("The callback's signature does not match.")
        if abs(time.time() - timestamp) > settings.PAYMENTS_CALLBACK_TOLERANCE:
            raise PermissionDenied("The callback's timestamp is outside the allowed window.")
        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationError("The callback body is not JSON.") from None
        if not isinstance(event, dict) or event.get("type") not in EVENT_TYPES:
            raise ValidationError(f"The callback's type must be one of {', '.join(EVENT_TYPES)}.")
        fields = [event.get(name) for name in ("id", "reference")]
        if not all(isinstance(value, str) and 0 < len(value) <= 100 for value in fields):
            raise ValidationError("The callback needs an `id` and a `reference`.")
        reason = event.get("reason") or ""
        return CallbackEvent(
            id=event["id"],
            type=event["type"],
            reference=event["reference"],
            reason=str(reason)[:200],
        )


def _parse_signature(header: str) -> tuple[int, str]:
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        return int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        raise PermissionDenied(f"A valid {SIGNATURE_HEADER} header is required.") from None
