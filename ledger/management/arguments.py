"""Argument types shared by the management commands."""


def positive(text: str) -> int:
    """An integer of at least 1 (argparse turns the ValueError into a usage error)."""
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number
