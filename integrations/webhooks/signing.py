"""Webhook signatures, as Stripe and Standard Webhooks make them.

`Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`.
The timestamp is signed with the body, so a receiver that rejects timestamps outside a
window (`tolerance`, 5 minutes by default) also rejects a captured request replayed later;
`Webhook-Id` (the event id, the same on every retry) lets it drop duplicates inside it.
`verify` is what a receiver written in Python runs.
"""

import hashlib
import hmac
import time


class SignatureError(ValueError):
    """The header is malformed, the signature does not match, or it is too old."""


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    *, secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> int:
    """Check a `Webhook-Signature` header against the raw body; return its timestamp."""
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("no timestamp or no v1 signature")
    expected = sign(secret=secret, body=body, timestamp=timestamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise SignatureError("signature does not match")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    return timestamp
