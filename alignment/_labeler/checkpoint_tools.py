"""Small helpers for reading and editing a checkpoint by hand, as the seed library offers them.

They are what a notebook user reaches for while reviewing a trained labeler: list the rules of a
label, look one rule up, drop a rule that does not belong, and print one prediction in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from alignment._labeler.examples import truncate_words
from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint, LabelValue

# A prediction as the seed's notebooks pair it: the example row (a pandas Series or any mapping
# from column names to values) and the PredictionResult the labeler returned for it.
ExampleWithPrediction = tuple["pd.Series[Any] | Mapping[str, Any]", Mapping[str, Any]]

DEFAULT_PRINT_TRUNCATION = 1000


def delete_attribute_from_checkpoint(
    checkpoint: LabelerCheckpoint, attribute_id_to_delete: str
) -> LabelerCheckpoint:
    """Remove the rule with this id from ``checkpoint`` and return the same checkpoint.

    The checkpoint is changed in place, as in the seed library, so code that ignores the return
    value still sees the rule gone. An id that is not there changes nothing.
    """
    checkpoint.attributes = [
        rule for rule in checkpoint.attributes if rule["id"] != attribute_id_to_delete
    ]
    return checkpoint


def get_attributes_for_label(
    checkpoint: LabelerCheckpoint, label: LabelValue | None
) -> list[LabelerAttribute]:
    """The rules for ``label``, in checkpoint order; every rule when ``label`` is None or "".

    Labels match by their text, ignoring case, as the labeler itself matches them, so the rules
    of the boolean label True are found by ``True`` and by ``"True"``. Only None and "" mean
    "all": False and 0 are real labels here, although they are falsy.
    """
    if label is None or label == "":
        return list(checkpoint.attributes)
    return checkpoint.rules_for(label)


def get_attribute_for_id(
    checkpoint: LabelerCheckpoint, attribute_id: str
) -> LabelerAttribute | None:
    """The rule with this id, or None when the checkpoint has no such rule."""
    return checkpoint.rule(attribute_id)


def print_prediction(
    prediction: ExampleWithPrediction,
    input_names: Sequence[str],
    label_name: str,
    truncation_length: int = DEFAULT_PRINT_TRUNCATION,
) -> None:
    """Print one (example, prediction) pair: its inputs, the request, the answer and the label.

    Inputs longer than ``truncation_length`` words are shortened in the middle; the true label
    is printed only when the example has a ``label_name`` column.
    """
    example, result = prediction
    print("\n" + "=" * 20)
    for name in input_names:
        print(f"{name}: {truncate_words(str(example[name]), truncation_length)}")
    print(f"LLM request: {result['request']}")
    print(f"raw prediction: {result['raw_prediction']}")
    print(f"prediction: {result['prediction']}")
    if label_name in example:
        print(f"label: {example[label_name]}")
