"""Conversion between integer minor units (the ledger) and decimals (the edges)."""

from decimal import Decimal, InvalidOperation

from ledger.errors import ValidationError
from ledger.models import MAX_AMOUNT


def to_minor_units(value: object, *, scale: int) -> int:
    """Parse a positive amount given as an integer or a decimal string.

    Refuses floats (binary fractions are not money), zero, negatives, more
    decimals than the asset's scale and anything above MAX_AMOUNT minor units.
    """
    if isinstance(value, (bool, float)):
        raise ValidationError("Amount must be an integer or a decimal string.")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str | Decimal):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValidationError("Amount must be a decimal number.") from None
    else:
        raise ValidationError("Amount must be an integer or a decimal string.")
    if not number.is_finite():
        raise ValidationError("Amount must be a finite number.")
    if number <= 0:
        raise ValidationError("Amount must be greater than zero.")
    # Bound the size before scaling so absurd exponents never build huge integers.
    if number.adjusted() > 18:
        raise ValidationError("Amount is too large.")
    minor = number.scaleb(scale)
    if minor != minor.to_integral_value():
        raise ValidationError(f"Amount has more than {scale} decimal places.")
    result = int(minor)
    if result > MAX_AMOUNT:
        raise ValidationError("Amount is too large.")
    return result


def format_amount(minor: int, *, scale: int) -> str:
    """Show minor units as a decimal string with exactly `scale` decimals ("12.50")."""
    if scale == 0:
        return str(minor)
    return f"{Decimal(minor).scaleb(-scale):.{scale}f}"
