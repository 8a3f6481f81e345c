"""Labelling with a trained labeler: one example typed in Slack, or every row of a CSV.

The labeler answers with its current version (the latest, unless rolled back), rebuilt from the
settings that version was trained with. A CSV of predictions is written for spreadsheets: text
that a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alignment.data import (
    DatasetError,
    DatasetLimits,
    describe_threshold,
    load_rows_to_label,
    write_spreadsheet_csv,
)
from alignment.labeler import EMPTY_PREDICTION, Labeler, PredictionResult
from bot.keys import Workspace
from bot.labelers.store import CheckpointVersion, LabelerStore
from bot.prompts.store import NAME_KIND as PROMPT_KIND
from bot.services import Services

# Each row is a model call; a bigger file belongs in a batch job, not a chat thread.
MAX_ROWS_TO_LABEL = 1000


class LabelingError(Exception):
    """The labelling cannot be done; the message says what to change."""


@dataclass(frozen=True)
class LoadedLabeler:
    name: str
    version: CheckpointVersion
    labeler: Labeler

    @property
    def inputs(self) -> list[str]:
        return list(self.labeler.input_names)


@dataclass(frozen=True)
class Prediction:
    values: dict[str, str]
    label: Any
    raw: str


@dataclass(frozen=True)
class KnownLabels:
    """How the predictions compare with the labels a file came with."""

    column: str
    right: int
    rows: int
    # How the column's scores became labels, when the labeler learned from scores.
    rule: str | None = None


@dataclass(frozen=True)
class LabelledFile:
    content: bytes
    rows: int
    unlabelled: int
    column: str
    known: KnownLabels | None = None


def load_labeler(services: Services, workspace: Workspace, name: str) -> LoadedLabeler:
    """The labeler ``name`` at its current version, ready to label."""
    store = LabelerStore(services.redis, workspace)
    if not store.exists(name):
        kind = services.redis.hget(workspace.keys.names(), name)
        if kind == PROMPT_KIND:
            raise LabelingError(
                f"`{name}` is a prompt, not a labeler. Run it with `/align run {name}`."
            )
        raise LabelingError(f"There is no labeler named `{name}`. See `/align list`.")
    current = store.current(name)
    if current is None:
        raise LabelingError(
            f"`{name}` has no trained version yet; its first one is saved when step 1 of its "
            "training finishes."
        )
    labeler = Labeler.from_settings(current.settings, services.train_model, services.prompt_model)
    return LoadedLabeler(name, current, labeler)


def example_values(
    loaded: LoadedLabeler, values: Mapping[str, str], text: str | None
) -> dict[str, str]:
    """The example's value for every input column, from ``column=value`` pairs or plain text."""
    inputs = loaded.inputs
    usage = " ".join(f"{column}=…" for column in inputs)
    if len(inputs) == 1 and (not values or set(values) != set(inputs)):
        # One input: any text is the example, even text that happens to contain "=".
        if not text:
            raise LabelingError(f"Give the text to label: `/align label {loaded.name} TEXT`.")
        return {inputs[0]: text}
    unknown = [column for column in values if column not in inputs]
    if unknown or not values:
        columns = ", ".join(f"`{column}`" for column in inputs)
        raise LabelingError(
            f"`{loaded.name}` reads the columns {columns}. Give each one: "
            f"`/align label {loaded.name} {usage}` (quote values with spaces)."
        )
    missing = [column for column in inputs if not values.get(column, "").strip()]
    if missing:
        raise LabelingError(
            f"Give a value for {', '.join(f'`{column}`' for column in missing)}: "
            f"`/align label {loaded.name} {usage}`."
        )
    return {column: values[column] for column in inputs}


def label_example(loaded: LoadedLabeler, values: dict[str, str]) -> Prediction:
    frame = pd.DataFrame([values], columns=loaded.inputs)
    result = loaded.labeler.infer_checkpoint(loaded.version.checkpoint, frame)[0]
    return Prediction(values, result["prediction"], result["raw_prediction"])


def prediction_column(loaded: LoadedLabeler) -> str:
    column = f"predicted_{loaded.labeler.label_name}"
    while column in loaded.inputs:
        column += "_"
    return column


def rows_to_label(loaded: LoadedLabeler, data: bytes, max_bytes: int) -> pd.DataFrame:
    """The file's input columns, checked by the library's loader and the row cap; and its label
    column when it has one, read by the labeler's score rule when it learned from scores."""
    labeler = loaded.labeler
    try:
        frame = load_rows_to_label(
            data,
            loaded.inputs,
            labeler.label_name,
            labeler.score_threshold,
            DatasetLimits(max_bytes=max_bytes),
        )
    except DatasetError as error:
        raise LabelingError(str(error)) from error
    if len(frame) > MAX_ROWS_TO_LABEL:
        raise LabelingError(
            f"The file has {len(frame):,} rows; I label at most {MAX_ROWS_TO_LABEL:,} at a time "
            "(each row is a model call). Split it into smaller files."
        )
    return frame


def label_rows(loaded: LoadedLabeler, frame: pd.DataFrame) -> LabelledFile:
    """Label every row; the answers go in a column after the inputs, blank where none came."""
    results = loaded.labeler.infer_checkpoint(loaded.version.checkpoint, frame)
    column = prediction_column(loaded)
    output = frame.copy()
    output[column] = pd.Series(
        [None if r["prediction"] == EMPTY_PREDICTION else r["prediction"] for r in results],
        dtype=object,
        index=output.index,
    )
    text = io.StringIO()
    write_spreadsheet_csv(output, text)
    unlabelled = sum(1 for result in results if result["prediction"] == EMPTY_PREDICTION)
    # A byte-order mark makes Excel read the file as UTF-8 instead of the local code page.
    return LabelledFile(
        text.getvalue().encode("utf-8-sig"),
        len(frame),
        unlabelled,
        column,
        _known_labels(loaded.labeler, frame, results),
    )


def _known_labels(
    labeler: Labeler, frame: pd.DataFrame, results: list[PredictionResult]
) -> KnownLabels | None:
    label = labeler.label_name
    if label not in frame:
        return None
    # By label position, as the scorecard counts: "true" in a file and True predicted agree.
    position = labeler.labels.index_of
    right = sum(
        1
        for known, result in zip(frame[label].tolist(), results, strict=True)
        if position(known) is not None and position(known) == position(result["prediction"])
    )
    threshold = labeler.score_threshold
    rule = None if threshold is None else describe_threshold(label, threshold)
    return KnownLabels(label, right, len(frame), rule)
