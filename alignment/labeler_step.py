"""One training step: find mistakes, turn each into rule changes, score every candidate, rank.

The step is a small dataflow, so that independent model calls overlap and dependent ones wait
no longer than they must:

- the current checkpoint classifies the validation rows (these calls also score it);
- as soon as the first wrong predictions are known (in a seeded random order), an "improvement
  chain" starts for each: feedback, then the mutation choices one after another (each choice
  excludes the earlier ones), each chosen change written while the next is being chosen;
- each candidate checkpoint is scored on the validation rows as soon as it exists.

Chains wait on their own calls, so they run in a small thread pool of their own; every model
call runs in the session's worker pool, which bounds calls in flight. Chain calls have the
highest priority, so they are never stuck behind hundreds of queued scoring calls.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from alignment.classifier import Classifier
from alignment.labeled_examples import Example, examples_at
from alignment.labeler_prompts import (
    TaskSpec,
    WrongPrediction,
    add_rule_prompt,
    choice_prompt,
    edit_rule_prompt,
    feedback_prompt,
)
from alignment.labeler_types import (
    LabelerCheckpoint,
    LabelValue,
    PredictionResult,
    Scorecard,
    StepRecord,
)
from alignment.model_base import ModelHelper
from alignment.model_calls import CallSession, ModelCaller, ModelRequest
from alignment.mutations import (
    MutationOption,
    apply_mutation,
    clean_rule_text,
    mutation_options,
    parse_choice,
    rule_id_for,
)
from alignment.progress import PhaseProgress, ProgressReporter
from alignment.scoring import build_scorecard, score_value

TRAIN_TEMPERATURE = 0.9
TRAIN_STOP_SEQUENCES = ("\n\n",)
TRAIN_MAX_OUTPUT_TOKENS = 256
CHOICE_MAX_OUTPUT_TOKENS = 8

PRIORITY_CHAIN = 0  # one link of a chain of dependent calls: on the step's critical path
PRIORITY_MINE = 1  # classifying rows to find the mistakes the chains start from
PRIORITY_SCORE = 2  # scoring candidates: plenty of these, none urgent

# Sub-streams of the run's seed, so each random choice is reproducible on its own.
VALIDATION_STREAM = 1
STEP_STREAM = 2
INIT_STREAM = 3

_MAX_CHAIN_THREADS = 64
_SCORING_WINDOW_PER_SLOT = 4

T = TypeVar("T")
Mining = Generator[tuple[Example, Future[PredictionResult]], None, None]


@dataclass(frozen=True)
class StepSettings:
    """The labeler's settings a training step reads."""

    task: TaskSpec
    classifier: Classifier
    train_helper: ModelHelper
    n_incorrect: int
    n_mutations: int
    score_fn: str
    pos_label: LabelValue | None
    n_validation: int
    seed: int
    lookahead: int
    debug: bool = False


@dataclass
class ScoredCheckpoint:
    """A checkpoint scored on the validation rows; ``order`` breaks ties deterministically."""

    checkpoint: LabelerCheckpoint
    score: float
    scorecard: Scorecard
    change: str | None
    order: tuple[int, ...] = ()


def validation_positions(
    checkpoint: LabelerCheckpoint | None, n_rows: int, n_wanted: int, seed: int
) -> list[int]:
    """The run's validation rows: the checkpoint's, or a seeded sample of the training rows.

    The sample depends only on the seed and the number of rows, so it is the same at every step
    of a run, and in a run resumed elsewhere from the same data.
    """
    if (
        checkpoint is not None
        and checkpoint.validation_rows is not None
        and checkpoint.validation_source_size == n_rows
        and all(0 <= row < n_rows for row in checkpoint.validation_rows)
    ):
        return list(checkpoint.validation_rows)
    rng = np.random.default_rng([seed, VALIDATION_STREAM])
    chosen = rng.choice(n_rows, size=min(n_wanted, n_rows), replace=False)
    return sorted(int(row) for row in chosen)


@dataclass
class _Claims:
    """Candidates already produced this step, by fingerprint, with every order that produced it."""

    orders: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TrainingStep:
    """Runs one step for one checkpoint; create a new one per step."""

    def __init__(
        self,
        settings: StepSettings,
        session: CallSession,
        caller: ModelCaller,
        progress: ProgressReporter,
        step: int,
    ) -> None:
        self.settings = settings
        self.session = session
        self.caller = caller
        self.progress = progress
        self.step = step
        self._claims = _Claims()
        self._rng = np.random.default_rng([settings.seed, STEP_STREAM, step])
        self._agents = ThreadPoolExecutor(
            # A thread per mistake and per change it leads to, plus one scoring the current rules.
            max_workers=min(
                _MAX_CHAIN_THREADS, settings.n_incorrect * (1 + settings.n_mutations) + 1
            ),
            thread_name_prefix="labeler-chain",
        )
        self._improve_progress: PhaseProgress | None = None
        self._score_progress = progress.phase("score", 0)
        # Set when the validation rows come from the training frame, to be kept in the result.
        self.validation_rows: list[int] | None = None
        self.validation_source_size: int | None = None
        self.wrong_examples_used = 0

    # -- public entry points -----------------------------------------------------------------

    def improve(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame, test_df: pd.DataFrame | None
    ) -> list[ScoredCheckpoint]:
        """The current checkpoint and its scored mutations, best first (current wins ties)."""
        validation = self._validation(checkpoint, train_df, test_df)
        validate = self.progress.phase("validate", len(validation))
        validate.start()
        with self._guard():
            if test_df is None:
                current_futures, mining = self._classify_for_mining(
                    checkpoint, validation, validate
                )
                chains = self._start_chains(checkpoint, validation, mining)
                predictions = [future.result() for future in current_futures]
                current = self._scored(checkpoint, validation, predictions, None, (-1,))
            else:
                scoring = self._spawn(self._score, checkpoint, validation, None, (-1,), validate)
                mining = self._mine_training_rows(checkpoint, train_df)
                chains = self._start_chains(checkpoint, validation, mining)
                current = scoring.result()
            self._debug(f"current checkpoint scores {current.score:.3f}")
            candidates = [
                result
                for chain in chains
                for future in chain.result()
                if (result := future.result()) is not None
            ]
        return self._rank([current, *candidates])

    def rank_fresh(
        self,
        candidates: list[LabelerCheckpoint],
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None,
    ) -> list[ScoredCheckpoint]:
        """Score checkpoints made from scratch (training started without one), best first."""
        validation = self._validation(None, train_df, test_df)
        with self._guard():
            self._score_progress.add_to_total(len(candidates))
            futures = [
                self._spawn(self._score, candidate, validation, "initial rules", (i,))
                for i, candidate in enumerate(candidates)
            ]
            scored = []
            for future in futures:
                scored.append(future.result())
                self._score_progress.advance()
        self.caller.count(candidates_scored=len(scored))
        return self._rank(scored)

    # -- plumbing ------------------------------------------------------------------------------

    def _guard(self) -> _StepGuard:
        return _StepGuard(self.session, self._agents)

    def _spawn(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn`` on a chain thread; its failure stops the step at once, not when awaited."""

        def run() -> T:
            try:
                return fn(*args)
            except BaseException as error:
                self.session.fail(error)
                raise

        return self._agents.submit(run)

    def _debug(self, message: str) -> None:
        if self.settings.debug:
            print(f"[step {self.step}] {message}")

    def _validation(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None,
    ) -> list[Example]:
        task = self.settings.task
        if test_df is not None:
            return examples_at(test_df, range(len(test_df)), task.input_names, task.label_name)
        self.validation_rows = validation_positions(
            checkpoint, len(train_df), self.settings.n_validation, self.settings.seed
        )
        self.validation_source_size = len(train_df)
        return examples_at(train_df, self.validation_rows, task.input_names, task.label_name)

    def _classify_for_mining(
        self, checkpoint: LabelerCheckpoint, validation: list[Example], progress: PhaseProgress
    ) -> tuple[list[Future[PredictionResult]], Mining]:
        """Classify the validation rows with the current rules, also to find mistakes in them.

        Mistakes are read in a seeded random order, so the first ones found are a random sample
        of all of them. (With a separate validation frame, mistakes come from the training rows
        instead, which keeps that frame out of training: see ``_mine_training_rows``.)
        """
        order = self._rng.permutation(len(validation))
        futures: dict[int, Future[PredictionResult]] = {}
        for i in order:
            future = self.settings.classifier.submit(
                self.session,
                checkpoint,
                validation[i],
                f"classifying validation row {validation[i].position} with the current rules "
                f"(step {self.step})",
                PRIORITY_MINE,
                keep_request=False,
            )
            future.add_done_callback(lambda _: progress.advance())
            futures[i] = future
        in_row_order = [futures[i] for i in range(len(validation))]
        return in_row_order, ((validation[i], futures[i]) for i in order)

    def _mine_training_rows(self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame) -> Mining:
        """Classify training rows in a seeded random order, a bounded window ahead of the reader.

        At most ``n_validation`` rows are looked at, as many as mistakes are looked for among
        without a validation frame: a classifier that is rarely wrong must not cost a pass over
        the whole training set.
        """
        task = self.settings.task
        size = min(self.settings.n_validation, len(train_df))
        order = self._rng.choice(len(train_df), size=size, replace=False)
        progress = self.progress.phase("mine", len(order))
        window: list[tuple[Example, Future[PredictionResult]]] = []
        taken = 0
        try:
            while window or taken < len(order):
                while len(window) < self.settings.lookahead and taken < len(order):
                    example = examples_at(
                        train_df, [order[taken]], task.input_names, task.label_name
                    )[0]
                    taken += 1
                    future = self.settings.classifier.submit(
                        self.session,
                        checkpoint,
                        example,
                        f"classifying training row {example.position} to find mistakes "
                        f"(step {self.step})",
                        PRIORITY_MINE,
                        keep_request=False,
                    )
                    future.add_done_callback(lambda _: progress.advance())
                    window.append((example, future))
                yield window.pop(0)
        finally:
            # Rows read ahead but no longer needed are never sent.
            for _, future in window:
                future.cancel()

    def _start_chains(
        self,
        checkpoint: LabelerCheckpoint,
        validation: list[Example],
        mining: Mining,
    ) -> list[Future[list[Future[ScoredCheckpoint | None]]]]:
        """Read predictions in mining order; start a chain at each mistake, up to the limit."""
        labels = self.settings.task.labels
        classifier = self.settings.classifier
        wanted = self.settings.n_incorrect
        self._improve_progress = self.progress.phase("improve", wanted)
        chains: list[Future[list[Future[ScoredCheckpoint | None]]]] = []
        empty = 0
        for example, future in mining:
            prediction = future.result()
            if labels.index_of(prediction["prediction"]) is None:
                empty += 1  # no label named: no rule was applied, so nothing to learn from
                continue
            correct = labels.index_of(example.label)
            if correct is None or classifier.is_correct(example, prediction):
                continue  # right, or a row whose true label is not one of the labels
            wrong = WrongPrediction(
                example,
                prediction["raw_prediction"],
                prediction["prediction"],
                labels.values[correct],
            )
            self._debug(
                f"mistake on row {example.position}: said {wrong.predicted!r}, "
                f"truth {wrong.correct!r}"
            )
            chains.append(self._spawn(self._chain, checkpoint, wrong, len(chains), validation))
            if len(chains) == wanted:
                break
        mining.close()
        self.wrong_examples_used = len(chains)
        self._improve_progress.add_to_total(len(chains) - wanted)
        self._debug(f"{len(chains)} mistakes to learn from ({empty} empty answers skipped)")
        return chains

    # -- one chain per mistake -------------------------------------------------------------------

    def _train_call(self, prompt: str, purpose: str, max_tokens: int) -> str:
        request = ModelRequest(prompt, TRAIN_TEMPERATURE, TRAIN_STOP_SEQUENCES, max_tokens)
        return self.session.call(self.settings.train_helper, request, purpose, PRIORITY_CHAIN)

    def _chain(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        index: int,
        validation: list[Example],
    ) -> list[Future[ScoredCheckpoint | None]]:
        """Feedback, then up to ``n_mutations`` distinct choices, each realised in parallel."""
        task = self.settings.task
        where = f"row {wrong.example.position} (step {self.step})"
        feedback = self._train_call(
            feedback_prompt(task, checkpoint, wrong),
            f"asking the training model why it mislabelled {where}",
            TRAIN_MAX_OUTPUT_TOKENS,
        )
        remaining = mutation_options(checkpoint, task.labels.values)
        realised: list[Future[ScoredCheckpoint | None]] = []
        for slot in range(self.settings.n_mutations):
            if not remaining:
                break
            option = self._choose(checkpoint, wrong, feedback, remaining, where)
            if option is None:
                # Asking once more would repeat the question just asked (and cached): stop here.
                self.caller.count(unparseable_choices=1)
                self._debug(f"no readable mutation choice for {where}; skipped")
                break
            remaining = [other for other in remaining if other != option]
            realised.append(
                self._spawn(
                    self._realise, checkpoint, wrong, feedback, option, (index, slot), validation
                )
            )
        if self._improve_progress is not None:
            self._improve_progress.advance()
        return realised

    def _choose(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        feedback: str,
        options: list[MutationOption],
        where: str,
    ) -> MutationOption | None:
        """The training model's pick among ``options``; an unreadable answer is asked once more."""
        task = self.settings.task
        rejected: str | None = None
        for attempt in (1, 2):
            answer = self._train_call(
                choice_prompt(task, checkpoint, wrong, feedback, options, rejected),
                f"asking the training model to choose a rule change for {where}"
                + (" (asking again)" if attempt == 2 else ""),
                CHOICE_MAX_OUTPUT_TOKENS,
            )
            option = parse_choice(answer, options)
            if option is not None:
                return option
            rejected = answer
        return None

    def _realise(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        feedback: str,
        option: MutationOption,
        order: tuple[int, ...],
        validation: list[Example],
    ) -> ScoredCheckpoint | None:
        """Write the chosen change's rule text, build the candidate, and score it."""
        task = self.settings.task
        text: str | None = None
        if option.action != "DELETE":
            if option.action == "ADD":
                rule_id = rule_id_for(checkpoint.next_rule_number)
                label_text = task.labels.texts[task.labels.index_of(option.label) or 0]
                prompt = add_rule_prompt(task, checkpoint, wrong, feedback, label_text, rule_id)
            else:
                rule = checkpoint.rule(option.rule_id or "")
                if rule is None:
                    raise ValueError(f"mutation option refers to unknown rule {option.rule_id}")
                rule_id = rule["id"]
                prompt = edit_rule_prompt(task, checkpoint, wrong, feedback, rule)
            answer = self._train_call(
                prompt,
                f"asking the training model to write rule {rule_id} for row "
                f"{wrong.example.position} (step {self.step})",
                TRAIN_MAX_OUTPUT_TOKENS,
            )
            text = clean_rule_text(answer, rule_id)
            if not text:
                self.caller.count(empty_rule_answers=1)
                return None
        candidate, change = apply_mutation(checkpoint, option, text)
        fingerprint = candidate.fingerprint()
        with self._claims.lock:
            seen = self._claims.orders.get(fingerprint)
            if seen is not None:
                seen.append(order)
            elif fingerprint != checkpoint.fingerprint():
                self._claims.orders[fingerprint] = [order]
        if seen is not None or fingerprint == checkpoint.fingerprint():
            self.caller.count(duplicate_mutations=1)
            self._debug(f"skipped a change already tried: {change}")
            return None
        self._score_progress.add_to_total(1)
        scored = self._score(candidate, validation, change, order)
        self._score_progress.advance()
        self.caller.count(candidates_scored=1)
        self._debug(f"candidate scores {scored.score:.3f}: {change}")
        return scored

    # -- scoring and ranking -------------------------------------------------------------------

    def _score(
        self,
        candidate: LabelerCheckpoint,
        validation: list[Example],
        change: str | None,
        order: tuple[int, ...],
        row_progress: PhaseProgress | None = None,
    ) -> ScoredCheckpoint:
        """Classify every validation row with ``candidate``, queueing a bounded window at a time.

        The window keeps memory flat however large a validation frame is, and is wide enough
        to keep every call slot busy.
        """
        window = self.settings.lookahead * _SCORING_WINDOW_PER_SLOT
        pending: deque[Future[PredictionResult]] = deque()
        predictions: list[PredictionResult] = []
        for example in validation:
            future = self.settings.classifier.submit(
                self.session,
                candidate,
                example,
                f"scoring {'the current rules' if change is None else 'a candidate'} on "
                f"validation row {example.position} (step {self.step})",
                PRIORITY_SCORE,
                keep_request=False,
            )
            if row_progress is not None:
                future.add_done_callback(lambda _: row_progress.advance())
            pending.append(future)
            if len(pending) >= window:
                predictions.append(pending.popleft().result())
        predictions.extend(future.result() for future in pending)
        return self._scored(candidate, validation, predictions, change, order)

    def _scored(
        self,
        checkpoint: LabelerCheckpoint,
        validation: list[Example],
        predictions: list[PredictionResult],
        change: str | None,
        order: tuple[int, ...],
    ) -> ScoredCheckpoint:
        labels = self.settings.task.labels
        card = build_scorecard(labels, [example.label for example in validation], predictions)
        score = score_value(card, self.settings.score_fn, labels, self.settings.pos_label)
        return ScoredCheckpoint(checkpoint, score, card, change, order)

    def _rank(self, entries: list[ScoredCheckpoint]) -> list[ScoredCheckpoint]:
        # A candidate produced by several chains ranks by the earliest of them, whichever chain
        # happened to claim it first, so ties resolve the same way in every run.
        for entry in entries:
            orders = self._claims.orders.get(entry.checkpoint.fingerprint())
            if orders and entry.order != (-1,):
                entry.order = min(orders)
        return sorted(entries, key=lambda entry: (-entry.score, entry.order))

    def record(
        self,
        entry: ScoredCheckpoint,
        previous_score: float | None,
        model_calls: int,
        cache_hits: int,
        candidates_scored: int,
        wrong_examples_used: int,
        validation_size: int,
    ) -> LabelerCheckpoint:
        """A copy of the entry's checkpoint with this step's record appended to its history."""
        result = entry.checkpoint.copy()
        if self.validation_rows is not None:
            result.validation_rows = list(self.validation_rows)
            result.validation_source_size = self.validation_source_size
        result.history.append(
            StepRecord(
                step=self.step,
                score=entry.score,
                previous_score=previous_score,
                score_fn=self.settings.score_fn,
                candidates_scored=candidates_scored,
                model_calls=model_calls,
                cache_hits=cache_hits,
                wrong_examples_used=wrong_examples_used,
                change=entry.change,
                n_empty=entry.scorecard["n_empty"],
                validation_size=validation_size,
            )
        )
        return result


class _StepGuard:
    """On a failure, stop the whole step: cancel queued calls, wait for chains, raise the first."""

    def __init__(self, session: CallSession, agents: ThreadPoolExecutor) -> None:
        self.session = session
        self.agents = agents

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.agents.shutdown(wait=True)
            return
        self.session.fail(exc)
        self.agents.shutdown(wait=True, cancel_futures=True)
        # Waiters see cancellations or aborts; the session knows what actually went wrong.
        self.session.raise_failure()
