"""CSV written for people to open in a spreadsheet: no cell can run as a formula.

Spreadsheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
carriage return) as a formula, so a text cell such as ``=HYPERLINK(...)`` taken from uploaded data
or from a model's answer would run when the file is opened. Such text cells get a leading single
quote, which spreadsheets read as "this is text" and do not display. Numbers and booleans are
written as they are.
"""

from __future__ import annotations

import csv
import math
from typing import Any, TextIO

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """``value`` with a leading single quote if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_spreadsheet_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """Write ``frame`` (header, then rows; no index) as comma-separated CSV with escaped text."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([escape_formula(str(name)) for name in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_cell(value) for value in row])


def _cell(value: Any) -> Any:
    # Missing values (None, or NaN where pandas filled a gap) become empty cells.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape_formula(value)
