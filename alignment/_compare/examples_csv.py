"""Examples from a CSV: one column per template variable, and an optional ``ideal`` column.

Read with the library's CSV machinery (encodings, delimiters, size and column limits), so an
upload is refused for the same reasons and in the same words as a training file; then checked
for what examples need: no column the template does not know, and no empty variable cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignment._compare.result import Example
from alignment._data.csv_reading import (
    DEFAULT_MAX_BYTES,
    CsvSource,
    count_of,
    format_rows,
    listed_names,
    read_header,
    read_table,
)
from alignment.errors import DatasetError

IDEAL_COLUMN = "ideal"


def read_examples(
    source: CsvSource, variables: Sequence[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Example]:
    """Every row of ``source`` as an example of a template with ``variables``.

    Raises ``DatasetError`` naming unknown columns, missing variable columns, or the rows with
    an empty variable.
    """
    header = read_header(source, max_bytes, min_columns=1)
    allowed = [*variables, IDEAL_COLUMN]
    unknown = [name for name in header if name not in allowed]
    if unknown:
        raise DatasetError(
            f"The file has column(s) {listed_names(unknown)} that the template does not use. "
            f"Its columns must be the template's variables ({listed_names(list(variables))}) "
            f"and, if you like, '{IDEAL_COLUMN}' for the ideal answer."
        )
    wanted = [*variables, *([IDEAL_COLUMN] if IDEAL_COLUMN in header else [])]
    table = read_table(source, wanted, max_bytes, min_columns=1)
    examples = []
    for row, sheet_row in enumerate(table.sheet_rows):
        values = {name: table.columns[name][row] for name in variables}
        empty = [name for name, value in values.items() if not value.strip()]
        if empty:
            blanks = [
                table.sheet_rows[i]
                for i in range(len(table))
                if any(not table.columns[n][i].strip() for n in variables)
            ]
            raise DatasetError(
                f"{count_of(len(blanks), 'row')} of the file leave a variable empty "
                f"({format_rows(blanks)}; row {sheet_row} leaves {listed_names(empty)}). "
                "Fill every variable column, or remove those rows."
            )
        ideal = table.columns[IDEAL_COLUMN][row].strip() if IDEAL_COLUMN in table.columns else ""
        examples.append(Example(values, ideal or None))
    return examples
