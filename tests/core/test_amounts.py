"""The amount grammar's functions themselves; tests/test_amount_grammar.py drives every
entry point through them."""

import pytest

from core.amounts import MAX_AMOUNT, format_amount, to_minor_units, to_signed_minor_units
from core.errors import ValidationError


@pytest.mark.parametrize(
    ("minor", "scale", "shown"),
    [
        (525, 2, "5.25"),
        (-525, 2, "-5.25"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (0, 2, "0.00"),
        (100, 0, "100"),
        (10**30 + 1, 2, "10000000000000000000000000000.01"),  # past Decimal's 28 digits
    ],
)
def test_format_amount_is_exact(minor, scale, shown):
    assert format_amount(minor, scale=scale) == shown


@pytest.mark.parametrize("minor", [1, 7, 525, 10**8, MAX_AMOUNT])
@pytest.mark.parametrize("scale", [0, 2, 8])
def test_what_is_shown_parses_back_to_the_same_minor_units(minor, scale):
    assert to_minor_units(format_amount(minor, scale=scale), scale=scale) == minor


@pytest.mark.parametrize("value", [1.0, 10.0, float("nan"), True, None, b"10", ["10"]])
def test_only_ints_and_strings_are_amounts(value):
    with pytest.raises(ValidationError):
        to_minor_units(value, scale=2)


def test_the_signed_variant_takes_exactly_one_sign():
    assert to_signed_minor_units("-1.50", scale=2) == -150
    assert to_signed_minor_units("+1.50", scale=2) == 150
    with pytest.raises(ValidationError):
        to_signed_minor_units("+-5", scale=0)
