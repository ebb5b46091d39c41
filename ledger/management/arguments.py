"""Argument types shared by the management commands."""


def positive(text: str) -> int:
    """An integer of at least 1 (argparse turns the ValueError into a usage error)."""
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


def seconds(text: str) -> float:
    """A duration in seconds, fractions allowed (0.1), not negative."""
    number = float(text)
    if not number >= 0:  # also refuses nan
        raise ValueError(text)
    return number
