"""Constitutional Experts: train a classification prompt made of per-label rules from labelled data.

The public API follows the seed library's ``Labeler`` (``initialize_checkpoint``, ``train_step``,
``get_best_mutations``, ``infer_checkpoint``, ``get_scorecard``, ``print_checkpoint``,
``DEFAULT_HPARAMS``), so code written for it runs by changing its import. On top of it: model
calls run concurrently (``max_concurrency``), identical requests are answered from a cache, a
step never makes its checkpoint worse on the validation rows, runs are reproducible from
``seed``, and checkpoints and settings round-trip through JSON so training can resume elsewhere.
"""

from __future__ import annotations

import math
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from alignment._labeler.cache import InMemoryResponseCache, ResponseCache
from alignment._labeler.checkpoint_tools import (
    ExampleWithPrediction,
    delete_attribute_from_checkpoint,
    get_attribute_for_id,
    get_attributes_for_label,
    print_prediction,
)
from alignment._labeler.classifier import Classifier
from alignment._labeler.examples import examples_at, require_columns
from alignment._labeler.initial_rules import InitialRuleWriter
from alignment._labeler.mixture import (
    MAX_EXPERTS,
    MixtureTrainer,
    check_rows_for_experts,
    checked_n_experts,
)
from alignment._labeler.model_calls import CallSession, LabelerStats, ModelCaller
from alignment._labeler.progress import ProgressCallback, ProgressReporter
from alignment._labeler.prompts import TaskSpec
from alignment._labeler.routing import Router
from alignment._labeler.scorecard_table import format_scorecard
from alignment._labeler.scoring import LabelSet, build_scorecard, expert_scores, score_value
from alignment._labeler.step import CURRENT_ORDER, PRIORITY_MINE, StepSettings, TrainingStep
from alignment._labeler.types import (
    EMPTY_PREDICTION,
    Expert,
    ExpertScore,
    LabelerAttribute,
    LabelerCheckpoint,
    LabelValue,
    PredictionResult,
    ProgressEvent,
    Scorecard,
    StepRecord,
    TrainingHyperparameters,
)
from alignment._providers.base import ModelHelper, SupportsEmbedding, embedding_helper
from alignment._single_run.types import ConstitutionalPrompt, ConversationTurn
from alignment.errors import LabelerModelError, TrainingCancelled

# ConstitutionalPrompt, ConversationTurn and ModelHelper are re-exported because the seed
# library's labeler module offers them too, and code written for it imports them from here.
__all__ = [
    "DEFAULT_HPARAMS",
    "EMPTY_PREDICTION",
    "MAX_EXPERTS",
    "ConstitutionalPrompt",
    "ConversationTurn",
    "ExampleWithPrediction",
    "Expert",
    "ExpertScore",
    "InMemoryResponseCache",
    "LabelValue",
    "Labeler",
    "LabelerAttribute",
    "LabelerCheckpoint",
    "LabelerModelError",
    "LabelerStats",
    "ModelHelper",
    "PredictionResult",
    "ProgressEvent",
    "ResponseCache",
    "Scorecard",
    "StepRecord",
    "TrainingCancelled",
    "TrainingHyperparameters",
    "check_rows_for_experts",
    "delete_attribute_from_checkpoint",
    "format_scorecard",
    "get_attribute_for_id",
    "get_attributes_for_label",
    "print_checkpoint",
    "print_prediction",
]

MAX_EVAL_OUTPUT_TOKENS = 16
EVAL_TEMPERATURE = 0.1
DEFAULT_MAX_CONCURRENCY = 16
SETTINGS_FORMAT = 1
# How far ahead of the rows already judged ``infer_checkpoint`` queues rows, per call slot:
# enough to keep every slot busy without holding a request for every row of a large frame.
_INFER_WINDOW_PER_SLOT = 4

DEFAULT_HPARAMS: TrainingHyperparameters = {
    "n_incorrect_predictions_to_sample": 3,
    "n_mutations_to_try": 2,
    "n_best": 3,
    "score_fn": "accuracy",
    "pos_label": None,
    "n_validation_examples": 100,
    "truncation_length": 100,
}
# Hyperparameters beyond the seed's, with the value that behaves as the seed library does.
# DEFAULT_HPARAMS keeps the seed's keys alone, so it reproduces the seed's full evaluation.
OPTIONAL_HPARAMS: dict[str, Any] = {"racing": False}
_POSITIVE_INTEGERS = (
    "n_incorrect_predictions_to_sample",
    "n_mutations_to_try",
    "n_best",
    "n_validation_examples",
)


def print_checkpoint(checkpoint: LabelerCheckpoint) -> None:
    """Print a checkpoint's rules grouped by label, each rule with its id (and by expert, for a
    mixture of experts)."""
    for number, expert in enumerate(checkpoint.experts, start=1):
        print(f"\n#################### Expert {number} of {len(checkpoint.experts)} ", end="")
        print(f"({len(expert.rows):,} training rows) ####################")
        print_checkpoint(expert.checkpoint)
    groups: dict[str, list[LabelerAttribute]] = defaultdict(list)
    for rule in checkpoint.attributes:
        groups[str(rule["label"])].append(rule)
    for label, rules in groups.items():
        print(f"\n==================== Rules for: {label} ====================\n")
        for rule in rules:
            print(f"{rule['id']}: {rule['value']}")


class Labeler:
    """Trains and applies a rule-based classification prompt for one labelling task.

    ``input_names`` are the columns shown to the model, ``label_name`` the column to predict, and
    ``label_values`` its possible values (strings, booleans or numbers; predictions come back as
    these same values). ``train_model_helper`` proposes rules (a larger model helps);
    ``eval_model_helper`` classifies with them.

    Options beyond the seed's: ``max_concurrency`` model calls at once; ``seed`` for
    reproducible runs (drawn at random when omitted, and kept in ``settings_dict``); ``progress``
    receives ``ProgressEvent``s; ``cache`` answers repeated requests (default: in memory, per
    labeler); ``requests_per_minute`` caps the call rate; ``should_stop`` is checked before every
    model call and raises ``TrainingCancelled`` when it returns True. ``score_threshold`` records
    that the labels were made from scores (True where score >= it, False otherwise), so files
    carrying that score column are read by the same rule when they are labelled or scored.

    ``n_experts`` above 1 trains a mixture of experts: the training rows are embedded (by
    ``embedding_model_helper``, else the eval helper, else the training helper, whichever can
    ``embed``), grouped by k-means, one rule set is trained per group, and each input is
    labelled by the expert of its nearest group. ``n_experts=1`` is the single rule set.
    """

    def __init__(
        self,
        input_names: Sequence[str],
        label_name: str,
        label_values: Iterable[object],
        task_description: str,
        train_model_helper: ModelHelper,
        eval_model_helper: ModelHelper,
        max_eval_output_tokens: int | None = MAX_EVAL_OUTPUT_TOKENS,
        eval_temperature: float | None = EVAL_TEMPERATURE,
        hparams: TrainingHyperparameters | Mapping[str, Any] = DEFAULT_HPARAMS,
        debug_mode: bool = False,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        seed: int | None = None,
        progress: ProgressCallback | None = None,
        cache: ResponseCache | None = None,
        requests_per_minute: float | None = None,
        should_stop: Callable[[], bool] | None = None,
        score_threshold: float | None = None,
        n_experts: int = 1,
        embedding_model_helper: ModelHelper | SupportsEmbedding | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.input_names = [str(name) for name in input_names]
        if not self.input_names:
            raise ValueError("a labeler needs at least one input column")
        self.label_name = str(label_name)
        self.labels = LabelSet(label_values)
        self.score_threshold = _checked_threshold(score_threshold, self.labels)
        self.task_description = task_description
        self.train_model_helper = train_model_helper
        self.eval_model_helper = eval_model_helper
        self.max_eval_output_tokens = max_eval_output_tokens
        self.eval_temperature = EVAL_TEMPERATURE if eval_temperature is None else eval_temperature
        self.hparams = _resolve_hparams(hparams, self.labels)
        self.debug_mode = debug_mode
        self.max_concurrency = max_concurrency
        self.seed = secrets.randbits(32) if seed is None else int(seed)
        self.requests_per_minute = requests_per_minute
        self.progress = progress
        self._caller = ModelCaller(
            cache if cache is not None else InMemoryResponseCache(),
            should_stop=should_stop,
            requests_per_minute=requests_per_minute,
        )
        self.task = TaskSpec(
            task_description=task_description,
            label_name=self.label_name,
            labels=self.labels,
            input_names=tuple(self.input_names),
            truncation_length=self.hparams["truncation_length"],
        )
        self.classifier = Classifier(
            self.task,
            eval_model_helper,
            self.eval_temperature,
            max_eval_output_tokens,
            label_order_seed=self.seed,
        )
        self.n_experts = checked_n_experts(n_experts)
        self.embedding_model_helper = _embedder(
            embedding_model_helper, eval_model_helper, train_model_helper, self.n_experts
        )

    @property
    def _mixture(self) -> MixtureTrainer:
        if self.embedding_model_helper is None:
            raise ValueError(_NO_EMBEDDING)
        return MixtureTrainer(
            self.n_experts,
            self.embedding_model_helper,
            self._caller,
            self._rule_writer(),
            self._step_settings,
            self.max_concurrency,
            self.progress,
        )

    @property
    def label_values(self) -> list[LabelValue]:
        return list(self.labels.values)

    @property
    def stats(self) -> LabelerStats:
        """Counts so far: model calls, cache hits, candidates scored, peak calls in flight..."""
        return self._caller.stats

    # -- settings --------------------------------------------------------------------------------

    def settings_dict(self) -> dict[str, Any]:
        """Everything but the models, cache and callbacks, as plain JSON."""
        return {
            "format": SETTINGS_FORMAT,
            "input_names": list(self.input_names),
            "label_name": self.label_name,
            "label_values": list(self.labels.values),
            "task_description": self.task_description,
            "max_eval_output_tokens": self.max_eval_output_tokens,
            "eval_temperature": self.eval_temperature,
            "hparams": dict(self.hparams),
            "debug_mode": self.debug_mode,
            "max_concurrency": self.max_concurrency,
            "seed": self.seed,
            "requests_per_minute": self.requests_per_minute,
            "score_threshold": self.score_threshold,
            "n_experts": self.n_experts,
        }

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        train_model_helper: ModelHelper,
        eval_model_helper: ModelHelper,
        **options: Any,
    ) -> Labeler:
        """Rebuild a labeler from ``settings_dict()``; ``options`` add or override keywords."""
        if settings.get("format", SETTINGS_FORMAT) != SETTINGS_FORMAT:
            raise ValueError(f"labeler settings format {settings.get('format')!r} is not supported")
        arguments = {key: value for key, value in settings.items() if key != "format"}
        arguments.update(options)
        return cls(
            train_model_helper=train_model_helper, eval_model_helper=eval_model_helper, **arguments
        )

    # -- training ------------------------------------------------------------------------------

    def initialize_checkpoint(self, train_examples: pd.DataFrame) -> LabelerCheckpoint:
        """A first checkpoint: one rule per label, written from a few examples of that label.

        One training-model call per label, all at once. The checkpoint also records the run's
        validation rows, drawn from ``train_examples`` with the seed. With experts, the rows are
        embedded and grouped first, and each expert's rules come from its group's rows.
        """
        require_columns(train_examples, [*self.input_names, self.label_name], "the training data")
        if self.n_experts > 1:
            # The rows are grouped, and each expert gets one first rule per label.
            return self._mixture.initialize(train_examples)
        session = CallSession(self._caller, self.max_concurrency)
        try:
            return self._initial_checkpoints(train_examples, [0], session)[0]
        finally:
            session.close()

    def train_step(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_examples: pd.DataFrame,
        test_examples: pd.DataFrame | None = None,
    ) -> LabelerCheckpoint:
        """One round of improvement; returns a new checkpoint and leaves ``checkpoint`` as it was.

        Candidates are scored on ``test_examples`` when given, otherwise on the run's validation
        sample of ``train_examples``. The result is the best candidate if it beats the current
        checkpoint, else the current checkpoint itself, with this step added to its history.
        """
        return self.get_best_mutations(checkpoint, train_examples, test_examples, n_best=1)[0][0]

    def get_best_mutations(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_examples: pd.DataFrame,
        test_examples: pd.DataFrame | None = None,
        n_mutations_to_try: int | None = None,
        n_best: int | None = None,
    ) -> list[tuple[LabelerCheckpoint, float]]:
        """Run one step and return its ``n_best`` best (checkpoint, score) pairs, best first.

        The current checkpoint competes too, and wins ties. Without a checkpoint, the candidates
        are ``n_mutations_to_try`` independently written first checkpoints.
        """
        require_columns(train_examples, [*self.input_names, self.label_name], "the training data")
        if test_examples is not None:
            require_columns(
                test_examples, [*self.input_names, self.label_name], "the validation data"
            )
        n_mutations = n_mutations_to_try or self.hparams["n_mutations_to_try"]
        keep = n_best or self.hparams["n_best"]
        if self.n_experts > 1 or (checkpoint is not None and checkpoint.experts):
            return self._mixture.step(checkpoint, train_examples, test_examples, n_mutations, keep)
        self._caller.check_stop()
        step = 1 if checkpoint is None else checkpoint.steps_done + 1
        before = self._caller.stats
        session = CallSession(self._caller, self.max_concurrency)
        runner = TrainingStep(
            self._step_settings(n_mutations, keep),
            session,
            self._caller,
            ProgressReporter(self.progress, self._caller, step),
            step,
        )
        try:
            if checkpoint is None:
                fresh = self._initial_checkpoints(train_examples, range(n_mutations), session)
                ranked = runner.rank_fresh(fresh, train_examples, test_examples)
                previous = None
            else:
                ranked = runner.improve(checkpoint, train_examples, test_examples)
                previous = next(entry.score for entry in ranked if entry.order == CURRENT_ORDER)
        finally:
            session.close()
        after = self._caller.stats
        validation_size = (
            len(test_examples) if test_examples is not None else len(runner.validation_rows or [])
        )
        return [
            (
                runner.record(
                    entry,
                    previous_score=previous,
                    model_calls=after.model_calls - before.model_calls,
                    cache_hits=after.cache_hits - before.cache_hits,
                    candidates_scored=after.candidates_scored - before.candidates_scored,
                    wrong_examples_used=runner.wrong_examples_used,
                    validation_size=validation_size,
                ),
                entry.score,
            )
            for entry in ranked[:keep]
        ]

    def score_rules(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_examples: pd.DataFrame,
        test_examples: pd.DataFrame | None = None,
    ) -> float:
        """The score training maximises for ``checkpoint``'s rules, on the rows its next step
        scores them on (``test_examples`` when given, else the run's validation sample of
        ``train_examples``); nothing is trained and no history is added.

        ``None`` scores the rules a labeler trained from scratch starts from: none at all, only
        the task description. That is the "before" of a first step, which has no current rules
        to compare with. For a mixture of experts, every expert would start from those same
        empty rules, so routing could change no answer; they are scored on the labeler's
        validation sample of the whole training frame, without embedding it. A checkpoint that
        already has experts is refused: score it with ``infer_checkpoint`` and ``get_score``.

        Calls are concurrent, cached and counted in ``stats`` like a step's, and ``should_stop``
        cancels them.
        """
        if checkpoint is not None and checkpoint.experts:
            raise ValueError(
                "score_rules scores one rule set; for a mixture of experts, label the rows "
                "with infer_checkpoint and score them with get_score"
            )
        require_columns(train_examples, [*self.input_names, self.label_name], "the training data")
        if test_examples is not None:
            require_columns(
                test_examples, [*self.input_names, self.label_name], "the validation data"
            )
        self._caller.check_stop()
        start = checkpoint if checkpoint is not None else LabelerCheckpoint()
        step = start.steps_done
        session = CallSession(self._caller, self.max_concurrency)
        runner = TrainingStep(
            self._step_settings(1),
            session,
            self._caller,
            ProgressReporter(self.progress, self._caller, step),
            step,
        )
        try:
            return runner.score_current(start, train_examples, test_examples).score
        finally:
            session.close()

    def _step_settings(self, n_mutations: int, keep: int = 1) -> StepSettings:
        return StepSettings(
            task=self.task,
            classifier=self.classifier,
            train_helper=self.train_model_helper,
            n_incorrect=self.hparams["n_incorrect_predictions_to_sample"],
            n_mutations=n_mutations,
            score_fn=self.hparams["score_fn"],
            pos_label=self.hparams.get("pos_label"),
            n_validation=self.hparams["n_validation_examples"],
            seed=self.seed,
            lookahead=self.max_concurrency,
            debug=self.debug_mode,
            racing=bool(self.hparams.get("racing")) and self.hparams["score_fn"] == "accuracy",
            keep=keep,
        )

    def _rule_writer(self) -> InitialRuleWriter:
        return InitialRuleWriter(
            self.task,
            self.train_model_helper,
            self.seed,
            self.hparams["n_validation_examples"],
        )

    def _initial_checkpoints(
        self, train_examples: pd.DataFrame, attempts: Sequence[int], session: CallSession
    ) -> list[LabelerCheckpoint]:
        return self._rule_writer().write(
            train_examples, attempts, session, ProgressReporter(self.progress, self._caller)
        )

    # -- applying a checkpoint -------------------------------------------------------------------

    def infer_checkpoint(
        self, checkpoint: LabelerCheckpoint, examples: pd.DataFrame
    ) -> list[PredictionResult]:
        """Label every row of ``examples`` (in order) with ``checkpoint``'s rules.

        With a mixture of experts each row is embedded and labelled by its nearest expert,
        whose number the result carries as ``expert``.
        """
        require_columns(examples, self.input_names, "the data to label")
        router_helper = self._routing_helper(checkpoint)
        progress = ProgressReporter(self.progress, self._caller).phase("infer", len(examples))
        progress.start()
        session = CallSession(self._caller, self.max_concurrency)
        window = self.max_concurrency * _INFER_WINDOW_PER_SLOT
        results: list[PredictionResult] = []
        router = (
            None
            if router_helper is None
            else Router(self._caller, session, router_helper, self.task)
        )
        centroids = np.array([expert.centroid for expert in checkpoint.experts])
        try:
            pending: list[Any] = []
            for start in range(0, len(examples), window):
                batch = examples_at(
                    examples,
                    range(start, min(start + window, len(examples))),
                    self.input_names,
                    None,
                )
                # Embedded a window at a time, so no more vectors are held than rows queued.
                routes = (
                    [None] * len(batch)
                    if router is None
                    else [int(e) for e in router.route(router.vectors_of(batch), centroids)]
                )
                for example, route in zip(batch, routes, strict=True):
                    future = self.classifier.submit(
                        session,
                        checkpoint if route is None else checkpoint.experts[route].checkpoint,
                        example,
                        f"labelling row {example.position}",
                        PRIORITY_MINE,
                        expert=route,
                    )
                    future.add_done_callback(lambda _: progress.advance())
                    pending.append(future)
                # Keep one window queued while the previous one is collected.
                while len(pending) > window:
                    results.append(pending.pop(0).result())
            results.extend(future.result() for future in pending)
        except BaseException as error:
            session.fail(error)
            session.raise_failure()
            raise
        finally:
            session.close()
        return results

    def get_scorecard(
        self, labeled_examples: pd.DataFrame, predictions: Sequence[PredictionResult]
    ) -> Scorecard:
        """Precision, recall, F1 and support per label (in ``label_values`` order), accuracy,
        empty answers, and the confusion matrix (rows: true label, columns: predicted label)."""
        require_columns(labeled_examples, [self.label_name], "the labelled data")
        truth = list(labeled_examples[self.label_name])
        scorecard = build_scorecard(self.labels, truth, predictions)
        experts = expert_scores(self.labels, truth, predictions)
        if experts:
            scorecard["experts"] = experts
        return scorecard

    def _routing_helper(self, checkpoint: LabelerCheckpoint) -> SupportsEmbedding | None:
        """The helper that embeds rows for ``checkpoint``'s experts; None for one rule set."""
        if not checkpoint.experts:
            return None
        helper = self.embedding_model_helper
        if helper is None:
            raise ValueError(_NO_EMBEDDING)
        made_by = checkpoint.embedding_model
        if made_by is not None and made_by != helper.embedding_model:
            raise ValueError(
                f"this checkpoint's experts were grouped with embeddings from {made_by!r}, but "
                f"the labeler embeds with {helper.embedding_model!r}: give it a helper that "
                f"embeds with {made_by!r} (embedding_model_helper=...)"
            )
        return helper

    def get_score(
        self, labeled_examples: pd.DataFrame, predictions: Sequence[PredictionResult]
    ) -> float:
        """The number training maximises (``hparams['score_fn']``) for these predictions."""
        return score_value(
            self.get_scorecard(labeled_examples, predictions),
            self.hparams["score_fn"],
            self.labels,
            self.hparams.get("pos_label"),
        )


_NO_EMBEDDING = (
    "a mixture of experts needs a model helper that can embed text (one with an embed() "
    "method and an embedding_model, as GeminiModelHelper and OpenAICompatibleModelHelper have); "
    "pass embedding_model_helper=..., or use n_experts=1"
)


def _embedder(
    given: object, eval_helper: object, train_helper: object, n_experts: int
) -> SupportsEmbedding | None:
    """The helper that embeds rows: the one given, else the first of the others that can."""
    if given is not None:
        found = embedding_helper(given)
        if found is None:
            raise ValueError(_NO_EMBEDDING)
        return found
    found = embedding_helper(eval_helper) or embedding_helper(train_helper)
    if found is None and n_experts > 1:
        raise ValueError(_NO_EMBEDDING)
    return found


def _checked_threshold(threshold: object, labels: LabelSet) -> float | None:
    """A finite number, and only for True/False labels: the only labels a threshold makes."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
        raise ValueError(f"score_threshold must be a number, got {threshold!r}")
    value = float(threshold)
    if not math.isfinite(value):
        raise ValueError(f"score_threshold must be a finite number, got {value}")
    if not all(isinstance(label, bool) for label in labels.values):
        raise ValueError(
            "score_threshold makes True/False labels, but the label values are "
            f"{list(labels.values)}"
        )
    return value


def _resolve_hparams(
    given: TrainingHyperparameters | Mapping[str, Any], labels: LabelSet
) -> TrainingHyperparameters:
    """The defaults overlaid with ``given``, checked, so a typo fails now and not mid-run."""
    known = set(DEFAULT_HPARAMS) | set(OPTIONAL_HPARAMS)
    unknown = set(given) - known
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(known)}")
    merged: dict[str, Any] = {**DEFAULT_HPARAMS, **OPTIONAL_HPARAMS, **given}
    if not isinstance(merged["racing"], bool):
        raise ValueError(f"hyperparameter racing must be True or False, got {merged['racing']!r}")
    for name in _POSITIVE_INTEGERS:
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"hyperparameter {name} must be a positive integer, got {value!r}")
        merged[name] = int(value)
    truncation = merged["truncation_length"]
    if truncation is not None and (not isinstance(truncation, int | np.integer) or truncation < 1):
        raise ValueError(
            f"truncation_length must be a positive integer or None, got {truncation!r}"
        )
    if merged["score_fn"] not in ("accuracy", "f1", "f1_binary"):
        raise ValueError(
            f"score_fn must be 'accuracy', 'f1' or 'f1_binary', got {merged['score_fn']!r}"
        )
    if merged["pos_label"] is not None:
        position = labels.index_of(merged["pos_label"])
        if position is None:
            raise ValueError(
                f"pos_label {merged['pos_label']!r} is not one of {list(labels.values)}"
            )
        merged["pos_label"] = labels.values[position]
    else:
        merged["pos_label"] = None
    return cast(TrainingHyperparameters, merged)
