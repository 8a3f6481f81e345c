"""Label values, reading a label from a model's answer, and scoring predictions against truth."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from alignment._labeler.types import (
    EMPTY_PREDICTION,
    ExpertScore,
    LabelValue,
    PredictionResult,
    Scorecard,
)

# Characters a model wraps a one-word answer in (quotes, emphasis, brackets, a final period).
_WRAPPING = "\"'`*_()[]{}<>“”‘’.,;:!? \t"
# What may follow a label at the start of a longer answer: the end, a space, punctuation, or a
# period that ends the sentence (so "0" is not read from "0.5", nor "no" from "not").
_AFTER_LABEL = re.compile(r"(?:$|[\s,;:!?)\]*\"'”’]|\.(?:\s|$))")


def native_label(value: object) -> LabelValue:
    """A label as a plain Python value: numpy scalars (``df[col].unique()``) become bool/int/..."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def label_key(value: object) -> str:
    """How a label is matched: by its text, ignoring case and surrounding space ("True" ~ True)."""
    return str(native_label(value)).strip().casefold()


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


class LabelSet:
    """The labels a classifier chooses from, in the order scorecards report them."""

    def __init__(self, values: Iterable[object]) -> None:
        self.values: tuple[LabelValue, ...] = tuple(native_label(v) for v in values)
        if len(self.values) < 2:
            raise ValueError(f"a labeler needs at least two label values, got {list(self.values)}")
        self.texts: tuple[str, ...] = tuple(str(v) for v in self.values)
        self._index: dict[str, int] = {}
        for position, value in enumerate(self.values):
            key = label_key(value)
            if not key:
                raise ValueError("label values must not be blank")
            if key in self._index:
                raise ValueError(
                    f"label values {self.values[self._index[key]]!r} and {value!r} cannot be told "
                    "apart (labels are matched by text, ignoring case)"
                )
            self._index[key] = position
        # Answers are compared after stripping wrapping characters, so labels are too.
        self._answer_index = {key.strip(_WRAPPING) or key: i for key, i in self._index.items()}
        # Longest first, so an answer starting "not hate" is read as "not hate", never "not".
        self._by_length = sorted(self._answer_index.items(), key=lambda item: -len(item[0]))

    def __len__(self) -> int:
        return len(self.values)

    def index_of(self, value: object) -> int | None:
        """Position of a label as found in data (``True``, ``"true"``, ``np.True_``...)."""
        if _is_missing(value) or (isinstance(value, str) and value == EMPTY_PREDICTION):
            return None
        return self._index.get(label_key(value))

    def parse_answer(self, answer: str, prefixes: Sequence[str] = ()) -> int | None:
        """Which label a model's answer names, or None when it names none of them.

        The answer must be a label (ignoring case, quotes and emphasis), optionally after a prefix
        such as "label:", or start with one followed by a word boundary. Nothing else is guessed:
        "nothing" is not "no", "10" is not "1", "not hate" is not "hate".
        """
        lines = [line for line in answer.strip().splitlines() if line.strip()]
        if not lines:
            return None
        text = lines[0].strip().strip(_WRAPPING).casefold()
        for prefix in (*prefixes, "answer", "label"):
            head = prefix.casefold()
            if text.startswith(head) and text[len(head) : len(head) + 1] in (":", "=", "_", " "):
                text = text[len(head) + 1 :].strip().strip(_WRAPPING)
                break
        if text in self._answer_index:
            return self._answer_index[text]
        for key, position in self._by_length:
            if text.startswith(key) and _AFTER_LABEL.match(text, len(key)):
                return position
        return None


def build_scorecard(
    labels: LabelSet, true_values: Sequence[object], predictions: Sequence[PredictionResult]
) -> Scorecard:
    """Per-label precision, recall, F1 and support, plus accuracy and the confusion matrix.

    Rows whose true label is not one of ``labels`` count against accuracy and the precision of
    whatever was predicted for them; empty predictions count against accuracy and recall.
    """
    if len(true_values) != len(predictions):
        raise ValueError(
            f"{len(true_values)} labelled rows but {len(predictions)} predictions to score"
        )
    size = len(labels)
    truth = np.array([_index_or_minus_one(labels, value) for value in true_values], dtype=np.int64)
    guess = np.array(
        [_index_or_minus_one(labels, p["prediction"]) for p in predictions], dtype=np.int64
    )
    both_known = (truth >= 0) & (guess >= 0)
    confusion = np.zeros((size, size), dtype=np.int64)
    np.add.at(confusion, (truth[both_known], guess[both_known]), 1)

    hits = np.diag(confusion).astype(float)
    support = np.bincount(truth[truth >= 0], minlength=size)
    predicted = np.bincount(guess[guess >= 0], minlength=size)
    precision = _ratio(hits, predicted)
    recall = _ratio(hits, support)
    fscore = _ratio(2 * precision * recall, precision + recall)
    correct = int(np.sum((truth == guess) & (truth >= 0)))
    return Scorecard(
        precision=[float(x) for x in precision],
        recall=[float(x) for x in recall],
        fscore=[float(x) for x in fscore],
        support=[int(x) for x in support],
        n_empty=int(np.sum(guess < 0)),
        accuracy=correct / len(truth) if len(truth) else 0.0,
        confusion_matrix=confusion.tolist(),
    )


def combine_scorecards(scorecards: Sequence[Scorecard], sizes: Sequence[int]) -> Scorecard:
    """One scorecard for disjoint sets of rows scored apart (``sizes`` rows each), as if scored
    together: counts add up, and the ratios are worked out again from the sums."""
    confusion = np.sum([np.asarray(card["confusion_matrix"]) for card in scorecards], axis=0)
    support = np.sum([np.asarray(card["support"]) for card in scorecards], axis=0)
    hits = np.diag(confusion).astype(float)
    precision = _ratio(hits, confusion.sum(axis=0))
    recall = _ratio(hits, support)
    fscore = _ratio(2 * precision * recall, precision + recall)
    total = sum(sizes)
    correct = sum(card["accuracy"] * size for card, size in zip(scorecards, sizes, strict=True))
    return Scorecard(
        precision=[float(x) for x in precision],
        recall=[float(x) for x in recall],
        fscore=[float(x) for x in fscore],
        support=[int(x) for x in support],
        n_empty=sum(card["n_empty"] for card in scorecards),
        accuracy=correct / total if total else 0.0,
        confusion_matrix=confusion.astype(int).tolist(),
    )


def expert_scores(
    labels: LabelSet, true_values: Sequence[object], predictions: Sequence[PredictionResult]
) -> list[ExpertScore]:
    """Each expert's share of the rows and its accuracy on them (predictions that name one)."""
    experts = sorted({p["expert"] for p in predictions if "expert" in p})
    scores = []
    for expert in experts:
        rows = [i for i, p in enumerate(predictions) if p.get("expert") == expert]
        card = build_scorecard(
            labels, [true_values[i] for i in rows], [predictions[i] for i in rows]
        )
        scores.append(
            ExpertScore(
                expert=expert,
                rows=len(rows),
                share=len(rows) / len(predictions),
                accuracy=card["accuracy"],
            )
        )
    return scores


def _index_or_minus_one(labels: LabelSet, value: object) -> int:
    position = labels.index_of(value)
    return -1 if position is None else position


def _ratio(numerator: Any, denominator: Any) -> Any:
    """Element-wise division that gives 0 where the denominator is 0 (no examples, no credit)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def score_value(
    scorecard: Scorecard,
    score_fn: str,
    labels: LabelSet,
    pos_label: LabelValue | None = None,
) -> float:
    """The single number training maximises, as chosen by the ``score_fn`` hyperparameter."""
    if score_fn == "accuracy":
        return float(scorecard["accuracy"])
    if score_fn == "f1":
        present = [f for f, n in zip(scorecard["fscore"], scorecard["support"], strict=True) if n]
        return float(np.mean(present)) if present else 0.0
    if score_fn == "f1_binary":
        position = 0 if pos_label is None else labels.index_of(pos_label)
        if position is None:
            raise ValueError(f"pos_label {pos_label!r} is not one of {list(labels.values)}")
        return float(scorecard["fscore"][position])
    raise ValueError(f"unknown score_fn {score_fn!r}: use 'accuracy', 'f1' or 'f1_binary'")
