"""Labelled datasets for the labeler: load a CSV, check it can teach a labeler, split it.

Every refusal is a ``DatasetError`` whose text names the column, the rows and the counts involved
and says how to fix the file, because the Slack bot posts it to the uploader as it is.

Label cells are typed by one rule, applied to the whole column (surrounding spaces ignored):

- every value is ``true`` or ``false`` in any capitalisation -> ``bool``;
- every value is a whole number (``3``, ``-1``, ``2.0``) -> ``int``;
- otherwise -> ``str``, exactly as written.

Numbers with a fraction between 0 and 1 are refused: they are scores, not labels, and need a
threshold first. Label values are plain Python objects (not numpy scalars) so that they can be
written to JSON checkpoints as they are. Input columns are always text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignment._data.csv_reading import (
    DEFAULT_MAX_BYTES,
    CsvSource,
    CsvTable,
    count_of,
    format_rows,
    listed_names,
    read_header,
    read_table,
)
from alignment._data.spreadsheet import write_spreadsheet_csv
from alignment.errors import DatasetError, ScoreLabelsError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DatasetError",
    "DatasetLimits",
    "ScoreLabelsError",
    "count_of",
    "describe_split",
    "describe_threshold",
    "label_values",
    "listed_names",
    "load_dataset",
    "load_rows_to_label",
    "read_columns",
    "split_dataset",
    "write_spreadsheet_csv",
]

Label = bool | int | str
_WHOLE_NUMBER = re.compile(r"[+-]?\d+(?:\.0*)?")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class DatasetLimits:
    """What a file must satisfy to train a labeler; the defaults suit a chat upload."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_label_values: int = 20
    min_examples_per_label: int = 4


def read_columns(source: CsvSource, max_bytes: int = DEFAULT_MAX_BYTES) -> list[str]:
    """The column names of a CSV (bytes or a path), read from its first row only.

    Refuses files with fewer than two columns: a labeler needs an input and a label.
    """
    return read_header(source, max_bytes, min_columns=2)


def load_dataset(
    source: CsvSource,
    inputs: Sequence[str],
    label: str | None = None,
    limits: DatasetLimits = DatasetLimits(),
    threshold: float | None = None,
) -> pd.DataFrame:
    """Load the ``inputs`` columns (text) and, when given, the ``label`` column (typed).

    With ``threshold`` the label column holds scores (numbers), and each becomes a label:
    True where the score is at least ``threshold``, False otherwise.

    ``source`` is the file's bytes or a path. Without ``label`` the file is data to be
    labelled, and only the inputs are checked. Rows that are entirely blank are skipped; the
    result has a fresh 0-based index and just the requested columns, in that order.
    """
    inputs = list(dict.fromkeys(inputs))
    if not inputs:
        raise DatasetError("Choose at least one input column: the text the labeler reads.")
    if label is not None and label in inputs:
        raise DatasetError(
            f"'{label}' is chosen both as the label and as an input. The labeler must not see "
            "the answer: pick other input columns."
        )
    table, frame = _read_inputs(source, inputs, label, limits)
    if label is not None:
        if threshold is not None:
            table.columns[label] = _thresholded(table, label, threshold)
        frame[label] = pd.Series(_typed_labels(table, label, limits), dtype=object)
    return frame


def load_rows_to_label(
    source: CsvSource,
    inputs: Sequence[str],
    label: str,
    threshold: float | None = None,
    limits: DatasetLimits = DatasetLimits(),
) -> pd.DataFrame:
    """Rows for a trained labeler: its ``inputs`` and, when the file has its ``label`` column,
    the labels already known, so the predictions can be scored.

    With ``threshold`` (the labeler learned from scores) that column holds scores and is read by
    the same rule as in training. The known labels are checked only for blanks: a file to score
    may hold a single label, or few rows of one. A file without the column gives the inputs only.
    """
    inputs = list(dict.fromkeys(inputs))
    table, frame = _read_inputs(source, inputs, None, limits)
    if label in inputs or label not in table.header:
        return frame
    # Read again with the label: the header is only known once the file is parsed.
    table, frame = _read_inputs(source, inputs, label, limits)
    if threshold is not None:
        table.columns[label] = _thresholded(table, label, threshold)
    cells = [cell.strip() for cell in table.columns.pop(label)]
    blank = [row for row, cell in zip(table.sheet_rows, cells, strict=True) if not cell]
    if blank:
        raise DatasetError(
            f"The column '{label}' holds the known labels, but it is blank in {len(blank):,} of "
            f"{count_of(len(cells), 'row')} ({format_rows(blank)}). Fill those cells, or remove "
            f"the column '{label}' to label the rows without scoring them."
        )
    typed = _label_types(set(cells))
    frame[label] = pd.Series([typed[cell] for cell in cells], dtype=object)
    return frame


def _read_inputs(
    source: CsvSource, inputs: list[str], label: str | None, limits: DatasetLimits
) -> tuple[CsvTable, pd.DataFrame]:
    """The table of the wanted columns, and a frame of its (checked, filled) input columns."""
    wanted = [*inputs, label] if label is not None else inputs
    table = read_table(source, wanted, limits.max_bytes)
    if not len(table):
        raise DatasetError(
            "The file has a header but no rows of data. Add rows below the header row."
        )
    for name in inputs:
        _check_inputs_filled(table, name)
    frame = pd.DataFrame({name: table.columns.pop(name) for name in inputs})
    return table, frame


def _check_inputs_filled(table: CsvTable, name: str) -> None:
    empty = [
        row
        for row, text in zip(table.sheet_rows, table.columns[name], strict=True)
        if not text.strip()
    ]
    if empty:
        raise DatasetError(
            f"The input column '{name}' is empty in {len(empty):,} of "
            f"{count_of(len(table), 'row')} ({format_rows(empty)}). The labeler needs text to "
            "read in every row: fill those cells in or delete those rows."
        )


def _typed_labels(table: CsvTable, name: str, limits: DatasetLimits) -> list[Label]:
    cells = [cell.strip() for cell in table.columns.pop(name)]
    blank = [row for row, cell in zip(table.sheet_rows, cells, strict=True) if not cell]
    if blank:
        raise DatasetError(
            f"The label column '{name}' is blank in {len(blank):,} of "
            f"{count_of(len(cells), 'row')} ({format_rows(blank)}). Fill in a label for each "
            "of those rows, or delete them."
        )
    distinct = set(cells)
    _refuse_scores(name, distinct)
    if len(distinct) > limits.max_label_values:
        examples = ", ".join(f"'{value}'" for value in sorted(distinct)[:3])
        raise DatasetError(
            f"The label column '{name}' has {len(distinct):,} different values (such as "
            f"{examples}); a labeler can learn at most {limits.max_label_values}. Check that "
            f"'{name}' is the label and not the text, or group the values into fewer labels."
        )
    if len(distinct) == 1:
        raise DatasetError(
            f"Every row has the same label, '{cells[0]}', in column '{name}' "
            f"({count_of(len(cells), 'row')}). A labeler learns to tell labels apart: add rows "
            "with at least one other label."
        )
    typed = _label_types(distinct)
    labels = [typed[cell] for cell in cells]
    _refuse_rare_labels(name, labels, limits.min_examples_per_label)
    return labels


def _thresholded(table: CsvTable, name: str, threshold: float) -> list[str]:
    """The label column's scores as "True" (at least ``threshold``) or "False" cells."""
    cells = [cell.strip() for cell in table.columns[name]]
    bad = [
        row
        for row, cell in zip(table.sheet_rows, cells, strict=True)
        if not _DECIMAL.fullmatch(cell)
    ]
    if bad:
        raise DatasetError(
            f"A threshold turns scores into labels, but the label column '{name}' is not a "
            f"number in {len(bad):,} of {count_of(len(cells), 'row')} ({format_rows(bad)}). "
            "Fix those cells, or leave the threshold out if the column already holds labels."
        )
    return [str(float(cell.replace(",", ".")) >= threshold) for cell in cells]


def describe_threshold(label: str, threshold: float) -> str:
    """How scores became labels, for the split summary."""
    return f"Labels from scores: True where {label} >= {threshold:g}, False otherwise."


def _refuse_scores(name: str, distinct: set[str]) -> None:
    if not all(_DECIMAL.fullmatch(value) for value in distinct):
        return
    numbers = {value: float(value.replace(",", ".")) for value in distinct}
    fractional = sorted(value for value, number in numbers.items() if not number.is_integer())
    if fractional and all(0.0 <= number <= 1.0 for number in numbers.values()):
        raise ScoreLabelsError(
            f"The label column '{name}' holds numbers between 0 and 1 (such as "
            f"{fractional[0]}), which look like scores rather than labels. Turn them into "
            f"labels with a threshold: True where {name} >= 0.5, False otherwise.",
            name,
        )


def _label_types(distinct: set[str]) -> dict[str, Label]:
    """How each written label value is typed, by the rule in the module docstring."""
    if all(value.lower() in ("true", "false") for value in distinct):
        return {value: value.lower() == "true" for value in distinct}
    if all(_WHOLE_NUMBER.fullmatch(value) for value in distinct):
        numbers: dict[str, Label] = {value: int(float(value)) for value in distinct}
        return numbers
    return {value: value for value in distinct}


def _refuse_rare_labels(name: str, labels: list[Label], minimum: int) -> None:
    counts = Counter(labels)
    rare = sorted((item for item in counts.items() if item[1] < minimum), key=lambda item: item[1])
    if rare:
        listed = ", ".join(f"'{label}' ({count_of(count, 'row')})" for label, count in rare)
        raise DatasetError(
            f"In the label column '{name}', some labels have fewer than {minimum} examples: "
            f"{listed}. Add more rows with those labels, merge them into another label, or "
            "delete their rows."
        )


def label_values(frame: pd.DataFrame, label: str) -> list[Any]:
    """The distinct labels in ``frame[label]``, sorted (``False`` before ``True``)."""
    return _sorted_labels(set(frame[label].tolist()))


def _sorted_labels(values: Iterable[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # a frame built elsewhere may mix types; order those by their text
        return sorted(values, key=lambda value: (type(value).__name__, str(value)))


def split_dataset(
    frame: pd.DataFrame, label: str, test_fraction: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (train, test), stratified by ``label`` and reproducible from ``seed``.

    Each label gets its share of test rows, and every label with at least two rows appears in
    both parts, so a test scorecard covers all labels. Rows keep their index; each part is in
    a seeded random order, so taking its first rows gives a fair sample.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    groups = frame.groupby(label, sort=False).indices
    # A fixed label order keeps the draws from ``rng`` the same for the same data and seed.
    sizes = {value: len(groups[value]) for value in _sorted_labels(groups)}
    quotas = _test_quotas(sizes, test_fraction)
    train_parts, test_parts = [], []
    for value in sizes:
        shuffled = rng.permutation(groups[value])
        test_parts.append(shuffled[: quotas[value]])
        train_parts.append(shuffled[quotas[value] :])
    train_positions = rng.permutation(np.concatenate(train_parts))
    test_positions = rng.permutation(np.concatenate(test_parts))
    return frame.iloc[train_positions], frame.iloc[test_positions]


def _test_quotas(sizes: dict[Hashable, int], fraction: float) -> dict[Hashable, int]:
    """Test rows per label: proportional, summing to the rounded total, at least one a side."""
    exact = {value: size * fraction for value, size in sizes.items()}
    quotas = {value: int(share) for value, share in exact.items()}
    shortfall = round(sum(sizes.values()) * fraction) - sum(quotas.values())
    by_remainder = sorted(exact, key=lambda value: exact[value] - quotas[value], reverse=True)
    for value in by_remainder[: max(shortfall, 0)]:
        quotas[value] += 1
    for value, size in sizes.items():
        if size >= 2:
            quotas[value] = min(max(quotas[value], 1), size - 1)
    return quotas


def describe_split(
    train: pd.DataFrame, test: pd.DataFrame, label: str, threshold: float | None = None
) -> str:
    """A short plain-text table of how many rows of each label went to train and to test.

    With ``threshold`` (the labels were made from scores) a line says how."""
    train_counts = Counter(train[label].tolist())
    test_counts = Counter(test[label].tolist())
    values = _sorted_labels(set(train_counts) | set(test_counts))
    total = len(train) + len(test)
    share = f"{len(test) / total:.0%}" if total else "0%"
    names = [str(value) for value in values]
    width = max([len(label), *map(len, names)])
    lines = [
        f"{total:,} rows: {len(train):,} to train, {len(test):,} to test ({share}).",
        f"{label:<{width}}  {'train':>7}  {'test':>7}",
    ]
    for value, name in zip(values, names, strict=True):
        lines.append(f"{name:<{width}}  {train_counts[value]:>7,}  {test_counts[value]:>7,}")
    missing = [name for value, name in zip(values, names, strict=True) if not test_counts[value]]
    if missing:
        lines.append(f"Not in the test part (too few rows to split): {', '.join(missing)}.")
    if threshold is not None:
        lines.append(describe_threshold(label, threshold))
    return "\n".join(lines)
