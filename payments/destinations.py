"""Bank account numbers: handed to the provider once, never stored.

A withdrawal keeps the last four digits (to show), an HMAC-SHA256 of the normalised
number under PAYMENTS_DESTINATION_KEY (to tell two withdrawals to the same account
apart without knowing it) and the provider's token for the account (to pay it out).
Neither the API, the admin nor a log line can show the number: it is not there.
"""

import hashlib
import hmac

from django.conf import settings


def normalise(account_number: str) -> str:
    """IBANs and account numbers are written with spaces and mixed case."""
    return "".join(account_number.split()).upper()


def last4(account_number: str) -> str:
    return normalise(account_number)[-4:]


def fingerprint(account_number: str) -> str:
    key = settings.PAYMENTS_DESTINATION_KEY.encode()
    return hmac.new(key, normalise(account_number).encode(), hashlib.sha256).hexdigest()


def masked(last_four: str) -> str:
    return f"****{last_four}"
