"""Rows of a data frame as the labeler sees them: input texts by column, and the true label."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Example:
    """One row: ``position`` is its ``iloc`` in the frame it came from."""

    position: int
    inputs: tuple[tuple[str, str], ...]
    label: object = None

    def text(self) -> str:
        return "\n".join(value for _, value in self.inputs)


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Fail with the missing and the available column names, which is what a person needs."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        available = ", ".join(str(c) for c in frame.columns) or "none"
        raise ValueError(f"{what} has no column {', '.join(missing)} (its columns: {available})")


def examples_at(
    frame: pd.DataFrame,
    positions: Sequence[int] | np.ndarray,
    input_names: Sequence[str],
    label_name: str | None,
) -> list[Example]:
    """The rows at ``positions``, reading only the columns needed (no copy of the whole frame)."""
    rows = np.asarray(positions, dtype=np.int64)
    # Select the rows first: converting a whole string column would materialise every cell.
    columns = {name: frame[name].iloc[rows].to_numpy() for name in input_names}
    has_label = label_name is not None and label_name in frame.columns
    labels = frame[label_name].iloc[rows].to_numpy() if has_label else None
    examples = []
    for i, position in enumerate(rows):
        inputs = tuple((name, _as_text(columns[name][i])) for name in input_names)
        label = None if labels is None else labels[i]
        examples.append(Example(int(position), inputs, label))
    return examples


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def truncate_words(text: str, max_words: int | None) -> str:
    """Keep the first and last halves of a text longer than ``max_words`` words."""
    if max_words is None or max_words <= 0:
        return text
    words = text.split()
    if len(words) <= max_words:
        return text
    head = max(1, max_words // 2)
    tail = max(1, max_words - head)
    return " ".join(words[:head]) + " [...] " + " ".join(words[-tail:])
