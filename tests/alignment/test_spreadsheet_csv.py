"""Prediction files must open in a spreadsheet as data: text cells never run as formulas."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from alignment._data.spreadsheet import escape_formula, write_spreadsheet_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(cell: str, written: str) -> None:
    assert escape_formula(cell) == written


def test_numbers_and_booleans_are_not_text_and_stay_as_they_are() -> None:
    assert escape_formula(-5) == -5
    assert escape_formula(True) is True


def test_written_csv_reads_back_with_escaped_cells_and_empty_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "=comment": ["=1+1", "hello, world", "line\nbreak"],
            "prediction": pd.Series([True, None, "-x"], dtype=object),
        }
    )
    out = io.StringIO()
    write_spreadsheet_csv(frame, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["'=comment", "prediction"],
        ["'=1+1", "True"],
        ["hello, world", ""],
        ["line\nbreak", "'-x"],
    ]
