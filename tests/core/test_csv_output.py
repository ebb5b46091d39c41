import csv
from decimal import Decimal
from io import StringIO

import pytest

from core.csv_output import SafeWriter, neutralise


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-5", "@SUM(A1)", "\t=1", "\r=1", "-"])
def test_text_a_spreadsheet_would_evaluate_gets_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["alice@example.com", "pay-1", "a=b", "", " =1", "'=1"])
def test_other_text_is_written_as_it_is(cell):
    assert neutralise(cell) == cell


@pytest.mark.parametrize("cell", [-5, 0, 12, Decimal("-2.50"), None])
def test_numbers_the_service_computed_are_written_as_they_are(cell):
    assert neutralise(cell) is cell


def test_safe_writer_neutralises_every_cell_of_a_row_and_keeps_csv_quoting():
    stream = StringIO()

    SafeWriter(stream).writerow([7, '=HYPERLINK("x","y")', "ok", -3, "a,b"])

    assert next(csv.reader(StringIO(stream.getvalue()))) == [
        "7",
        '\'=HYPERLINK("x","y")',
        "ok",
        "-3",
        "a,b",
    ]
