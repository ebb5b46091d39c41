"""CSV files the service writes, safe to open in a spreadsheet (OWASP CSV injection).

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run as
a formula in Excel or LibreOffice, so it is written with a leading single quote, which
the spreadsheet shows as text. Every text cell gets this, whoever wrote it (a row of
an operator's file copied back, a reference, an email): a neutralised "-5" reads as
text, which is the safe way round. Numbers the service itself computed (ints,
Decimals) are written as they are: they cannot hold a formula.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """The cell as written: text that a spreadsheet would evaluate gets a leading quote."""
    if isinstance(cell, int | Decimal) or cell is None:
        return cell
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer with every row neutralised; the only way the service writes CSV."""

    def __init__(self, stream: TextIO):
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
