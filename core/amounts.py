"""The one amount grammar, and conversion between integer minor units (the ledger) and
decimal strings (the edges).

On input an amount is a JSON integer or a string of ASCII digits with at most one
decimal point: `^[0-9]+(\\.[0-9]+)?$`, no more decimals than the asset's scale, above
zero and at most MAX_AMOUNT minor units. Nothing else is read: no signs, whitespace,
exponents, separators, non-ASCII digits or floats, and nothing is ever rounded. The
API, the admin forms and the bulk CSV all parse through `to_minor_units`; the admin
adjustment alone takes an explicit sign, through `to_signed_minor_units`.
"""

import re

from core.errors import ValidationError

MAX_AMOUNT = 10**15  # in minor units; larger amounts are refused as absurd
# [0-9], not \d or str.isdigit(): those also take Arabic-Indic, full-width and other digits.
DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Digits beyond MAX_AMOUNT's own cannot be valid; refusing them first keeps int() cheap.
MAX_DIGITS = len(str(MAX_AMOUNT))


def to_minor_units(value: object, *, scale: int) -> int:
    """Parse a positive amount in the asset's units into its minor units.

    Takes an int (a JSON integer) or a string matching `^[0-9]+(\\.[0-9]+)?$` with at
    most `scale` decimals. Raises ValidationError for anything else: floats and bools,
    any other text, zero, more decimals than the scale (even zeros) and more than
    MAX_AMOUNT minor units. Exact: no float or Decimal context is involved.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("Amount must be an integer or a string of digits, not a float.")
    minor = value * 10**scale if isinstance(value, int) else _parse_decimal(value, scale=scale)
    if minor <= 0:
        raise ValidationError("Amount must be greater than zero.")
    if minor > MAX_AMOUNT:
        raise ValidationError("Amount is too large (at most 10^15 minor units).")
    return minor


def to_signed_minor_units(text: str, *, scale: int) -> int:
    """The admin adjustment's amount: an optional single leading `+` (credit) or `-`
    (debit), then the grammar of `to_minor_units`. So "+-5" and "--5" are refused."""
    if not isinstance(text, str):
        raise ValidationError("Amount must be text.")
    sign = -1 if text.startswith("-") else 1
    unsigned = text[1:] if text.startswith(("+", "-")) else text
    return sign * to_minor_units(unsigned, scale=scale)


def _parse_decimal(text: str, *, scale: int) -> int:
    if not DECIMAL.fullmatch(text):
        raise ValidationError(
            "Amount must be ASCII digits with at most one decimal point, such as 10 or 2.50: "
            "no sign, spaces, exponent or separators."
        )
    whole, _, fraction = text.partition(".")
    if len(fraction) > scale:
        raise ValidationError(f"Amount has more than {scale} decimal places.")
    digits = (whole + fraction.ljust(scale, "0")).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise ValidationError("Amount is too large (at most 10^15 minor units).")
    return int(digits or "0")


def format_amount(minor: int, *, scale: int) -> str:
    """Show minor units as a decimal string with exactly `scale` decimals ("12.50").

    Integer arithmetic only, so no size is ever rounded by a Decimal context."""
    if scale == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), 10**scale)
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole}.{fraction:0{scale}d}"
