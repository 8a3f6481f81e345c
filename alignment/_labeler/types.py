"""The data a labeler works with: hyperparameters, rules, checkpoints, predictions, scorecards.

Everything here has a plain JSON form, because checkpoints are saved after every training step
(to a file, or to Redis by the bot) and training resumes from them in another process.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, cast

# A label as it appears in the data: the CSV loader keeps booleans and integers typed.
LabelValue = str | bool | int | float

# The prediction given when the model's answer names none of the labels.
EMPTY_PREDICTION = ""

ScoreFunction = Literal["accuracy", "f1", "f1_binary"]

CHECKPOINT_FORMAT = 1


class TrainingHyperparameters(TypedDict):
    """How much work one training step does; larger values cost more model calls."""

    # How many wrongly labelled examples each step learns from. Each one costs a feedback call,
    # one or two calls per mutation choice and a call per rule written, and yields up to
    # ``n_mutations_to_try`` candidate checkpoints.
    n_incorrect_predictions_to_sample: int
    # How many different changes (add, edit or delete a rule) to try per wrong example. Every
    # candidate is scored on the whole validation sample, so this multiplies the step's cost.
    n_mutations_to_try: int
    # How many of the best (checkpoint, score) pairs ``get_best_mutations`` returns;
    # ``train_step`` continues from the first of them.
    n_best: int
    # What "best" means: "accuracy"; "f1", the mean F1 over the labels present in the validation
    # sample; or "f1_binary", the F1 of ``pos_label`` alone.
    score_fn: ScoreFunction | str
    # The label whose F1 "f1_binary" measures; defaults to the first label value.
    pos_label: NotRequired[LabelValue | None]
    # How many training rows are drawn (once per run) to score checkpoints on.
    n_validation_examples: int
    # Race candidates instead of scoring each on every validation row: every candidate is
    # classified on a first slice of the rows, and only those that can still win go on; the
    # winner is then scored on every row. Far fewer calls for (nearly always) the same choice.
    # Absent or False: every candidate is scored on every row, as the seed library does.
    # Applies to score_fn "accuracy"; the F1 score functions are always scored in full.
    racing: NotRequired[bool]
    # Input values longer than this many words are shortened in the middle before they are shown
    # to a model, which bounds prompt size on long texts.
    truncation_length: int


class LabelerAttribute(TypedDict):
    """One rule of a checkpoint: when it holds, the example gets ``label``."""

    id: str
    value: str
    label: LabelValue


class PredictionResult(TypedDict):
    """One classified example: the prompt sent, the model's words, and the label they name.

    ``prediction`` is one of the labeler's label values (same type), or ``EMPTY_PREDICTION``
    when the answer named none of them.
    """

    request: str
    raw_prediction: str
    prediction: LabelValue
    # With a mixture of experts: the index of the expert the row was routed to.
    expert: NotRequired[int]


class ExpertScore(TypedDict):
    """How one expert of a mixture did on the rows routed to it."""

    expert: int
    rows: int
    share: float  # of all the rows scored
    accuracy: float


class Scorecard(TypedDict):
    """Quality of a set of predictions against true labels.

    ``precision``, ``recall``, ``fscore`` and ``support`` are lists in the labeler's
    ``label_values`` order. ``confusion_matrix[i][j]`` counts examples whose true label is
    ``label_values[i]`` and whose prediction is ``label_values[j]``; empty predictions appear in
    no column and are counted by ``n_empty`` instead.
    """

    precision: list[float]
    recall: list[float]
    fscore: list[float]
    support: list[int]
    n_empty: int
    accuracy: float
    confusion_matrix: list[list[int]]
    # With a mixture of experts: each expert's share of the rows and its accuracy on them.
    experts: NotRequired[list[ExpertScore]]


class StepRecord(TypedDict):
    """What happened in one training step, kept in the checkpoint for reports and plots."""

    step: int
    # Validation score of the checkpoint this step produced, and of the one it started from.
    score: float
    previous_score: float | None
    score_fn: str
    candidates_scored: int
    model_calls: int
    cache_hits: int
    wrong_examples_used: int
    # A one-line description of the rule change kept, or None when the step kept its input.
    change: str | None
    n_empty: int
    validation_size: int


@dataclass
class Expert:
    """One expert of a mixture: its own rules, the centre of its group of rows, and those rows.

    ``checkpoint`` holds the expert's rules, its validation rows (positions within its group)
    and its own step history. ``rows`` are positions (``iloc``) in the training frame.
    """

    checkpoint: LabelerCheckpoint
    centroid: list[float]
    rows: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            # Six decimals keep a centroid's JSON small and route exactly as the full numbers.
            "centroid": [round(float(value), 6) for value in self.centroid],
            "rows": list(self.rows),
            "checkpoint": self.checkpoint.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Expert:
        if not isinstance(data, dict) or not isinstance(data.get("checkpoint"), dict):
            raise ValueError("a checkpoint's expert needs 'checkpoint', 'centroid' and 'rows'")
        centroid = [float(value) for value in data.get("centroid") or []]
        if not centroid:
            raise ValueError("a checkpoint's expert has no centroid")
        return cls(
            checkpoint=LabelerCheckpoint.from_dict(data["checkpoint"]),
            centroid=centroid,
            rows=[int(row) for row in data.get("rows") or []],
        )


@dataclass
class LabelerCheckpoint:
    """A trained classification prompt: per-label rules, plus what is needed to keep training.

    Treat checkpoints as values: the labeler never changes one it was given, it returns new ones.
    ``validation_rows`` are positions (``iloc``) in the training frame of ``validation_source_size``
    rows from which the validation sample was drawn, so a resumed run scores on the same rows.

    A mixture of experts keeps no rules of its own: ``experts`` hold them, one rule set per group
    of rows, and each input goes to the expert whose centroid is nearest its embedding (made by
    ``embedding_model``). ``expert_source_size`` is the size of the training frame the experts'
    ``rows`` point into.
    """

    attributes: list[LabelerAttribute] = field(default_factory=list)
    next_rule_number: int = 1
    validation_rows: list[int] | None = None
    validation_source_size: int | None = None
    history: list[StepRecord] = field(default_factory=list)
    experts: list[Expert] = field(default_factory=list)
    expert_source_size: int | None = None
    embedding_model: str | None = None

    @property
    def steps_done(self) -> int:
        return len(self.history)

    @property
    def last_score(self) -> float | None:
        return self.history[-1]["score"] if self.history else None

    def rules_for(self, label: LabelValue) -> list[LabelerAttribute]:
        return [rule for rule in self.attributes if _same_label(rule["label"], label)]

    def free_rule_number(self) -> int:
        """The number of the next rule added, above every ``R<n>`` id in use.

        Usually ``next_rule_number``; higher when rules were appended by hand without moving it.
        """
        return max(self.next_rule_number, _next_free_number(self.attributes))

    def rule(self, rule_id: str) -> LabelerAttribute | None:
        return next((rule for rule in self.attributes if rule["id"] == rule_id), None)

    @property
    def n_experts(self) -> int:
        """How many rule sets the checkpoint holds: 1 unless it is a mixture of experts."""
        return max(1, len(self.experts))

    def fingerprint(self) -> str:
        """Identifies the rules alone: two checkpoints with equal fingerprints classify alike."""
        own = [[rule["id"], _label_tag(rule["label"]), rule["value"]] for rule in self.attributes]
        if not self.experts:
            return json.dumps(own)
        return json.dumps([own, [expert.checkpoint.fingerprint() for expert in self.experts]])

    def rules_key(self) -> str:
        """Identifies what a classifier is shown: each label's rule texts, in order, without ids.

        Two checkpoints with equal keys get identical classification prompts, so scoring both
        would only repeat the same answers.
        """
        by_label: dict[str, list[str]] = {}
        for rule in self.attributes:
            by_label.setdefault(_label_tag(rule["label"]), []).append(rule["value"].strip())
        if self.experts:
            return json.dumps([expert.checkpoint.rules_key() for expert in self.experts])
        return json.dumps(sorted(by_label.items()))

    def copy(self) -> LabelerCheckpoint:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "attributes": [dict(rule) for rule in self.attributes],
            "next_rule_number": self.next_rule_number,
            "validation_rows": None if self.validation_rows is None else list(self.validation_rows),
            "validation_source_size": self.validation_source_size,
            "history": [dict(record) for record in self.history],
        }
        # A single rule set is written exactly as before experts existed.
        if self.experts:
            data["experts"] = [expert.to_dict() for expert in self.experts]
            data["expert_source_size"] = self.expert_source_size
            data["embedding_model"] = self.embedding_model
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelerCheckpoint:
        if not isinstance(data, dict) or not isinstance(data.get("attributes"), list):
            raise ValueError("not a labeler checkpoint: expected an object with 'attributes'")
        if data.get("format", CHECKPOINT_FORMAT) != CHECKPOINT_FORMAT:
            raise ValueError(
                f"checkpoint format {data.get('format')!r} is not supported "
                f"(this version reads format {CHECKPOINT_FORMAT})"
            )
        attributes: list[LabelerAttribute] = []
        for item in data["attributes"]:
            if not isinstance(item, dict) or not {"id", "value", "label"} <= item.keys():
                raise ValueError(f"checkpoint rule needs 'id', 'value' and 'label': {item!r}")
            attributes.append(
                LabelerAttribute(id=str(item["id"]), value=str(item["value"]), label=item["label"])
            )
        rows = data.get("validation_rows")
        experts = [Expert.from_dict(item) for item in data.get("experts") or []]
        if len({len(expert.centroid) for expert in experts}) > 1:
            raise ValueError("the checkpoint's experts have centroids of different sizes")
        source_size = data.get("expert_source_size")
        embedding_model = data.get("embedding_model")
        return cls(
            attributes=attributes,
            next_rule_number=int(data.get("next_rule_number", _next_free_number(attributes))),
            validation_rows=None if rows is None else [int(row) for row in rows],
            validation_source_size=data.get("validation_source_size"),
            history=[cast(StepRecord, dict(record)) for record in data.get("history", [])],
            experts=experts,
            expert_source_size=None if source_size is None else int(source_size),
            embedding_model=None if embedding_model is None else str(embedding_model),
        )


def _label_tag(label: LabelValue) -> str:
    # Labels are told apart by their text, ignoring case, as a labeler matches them: True and 1
    # compare equal in Python but not here, while a rule labelled "True" (as the seed library
    # stores every label, and as hand-written checkpoints often do) belongs to the boolean label
    # True. A labeler refuses label values whose texts collide.
    return str(label).strip().casefold()


def _same_label(a: LabelValue, b: LabelValue) -> bool:
    return _label_tag(a) == _label_tag(b)


def _next_free_number(attributes: list[LabelerAttribute]) -> int:
    """For checkpoints written elsewhere: a rule number above every ``R<n>`` id in use."""
    numbers = [int(rule["id"][1:]) for rule in attributes if rule["id"][1:].isdigit()]
    return max(numbers, default=0) + 1


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report; ``done`` of ``total`` units of the current ``phase`` are finished.

    Phases: "initialize" (labels given first rules), "validate" (validation rows classified with
    the current checkpoint), "mine" (training rows classified to find mistakes, only when a
    separate validation frame is given), "improve" (wrong examples turned into rule changes),
    "score" (candidate checkpoints scored) and "infer" (rows labelled by ``infer_checkpoint``).
    ``model_calls`` and ``cache_hits`` are the labeler's running totals.
    """

    phase: str
    done: int
    total: int
    model_calls: int
    cache_hits: int
    step: int | None = None
