"""A mixture of experts (the Constitutional Experts paper): one rule set per group of rows.

The training rows are embedded and grouped by k-means; each group gets an expert, a rule set
trained only on that group's rows with the ordinary training step; each input is labelled by
the expert whose centroid is nearest its embedding. A step trains every expert at once: the
experts' steps run side by side on one call session, so their model calls share the labeler's
call slots and none waits for another expert to finish.

The grouping is made once (the first step) and kept in the checkpoint: the centroids, and the
training rows of each expert, so later steps and resumed runs train each expert on the same rows
without embedding the training data again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignment._labeler.candidate_scoring import CURRENT_ORDER, ScoredCheckpoint
from alignment._labeler.initial_rules import InitialRuleWriter, rows_by_label
from alignment._labeler.kmeans import kmeans
from alignment._labeler.model_calls import CallSession, LabelerStats, ModelCaller
from alignment._labeler.progress import ProgressCallback, ProgressReporter
from alignment._labeler.routing import Router
from alignment._labeler.scoring import combine_scorecards, score_value
from alignment._labeler.step import StepSettings, TrainingStep
from alignment._labeler.step_settings import EXPERT_STREAM
from alignment._labeler.types import Expert, LabelerCheckpoint, StepRecord
from alignment._providers.base import SupportsEmbedding

MAX_EXPERTS = 8
# Each expert needs rows to learn from and to be scored on.
MIN_ROWS_PER_EXPERT = 4
# The rows grouped: a seeded sample of at most this many training rows, which bounds the
# embedding calls, the memory and the checkpoint's size however large the training data is.
MAX_GROUPED_ROWS = 5000
# Examples of each label an expert's first rules are written from, when its group has none.
_BORROWED_EXAMPLES = 2


def checked_n_experts(value: object) -> int:
    """A whole number from 1 to ``MAX_EXPERTS``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"n_experts must be a whole number, got {value!r}")
    if not 1 <= int(value) <= MAX_EXPERTS:
        raise ValueError(
            f"n_experts must be between 1 and {MAX_EXPERTS}, got {value}; each expert is a "
            "rule set of its own, trained at every step"
        )
    return int(value)


def check_rows_for_experts(n_experts: int, n_rows: int) -> None:
    if n_rows < MIN_ROWS_PER_EXPERT * n_experts:
        raise ValueError(
            f"n_experts={n_experts} needs at least {MIN_ROWS_PER_EXPERT * n_experts} training "
            f"rows ({MIN_ROWS_PER_EXPERT} per expert), but there are {n_rows}: use fewer experts "
            "or more rows"
        )


@dataclass
class _ExpertPart:
    """One expert's share of a step: where it started, its rows, and how its step ranked."""

    index: int
    start: LabelerCheckpoint | None
    centroid: list[float]
    rows: list[int]
    runner: TrainingStep | None = None
    ranked: list[ScoredCheckpoint] | None = None
    validation_size: int = 0


class MixtureTrainer:
    """Trains a mixture of experts, one step at a time, for one labeler."""

    def __init__(
        self,
        n_experts: int,
        helper: SupportsEmbedding,
        caller: ModelCaller,
        writer: InitialRuleWriter,
        step_settings: Callable[[int, int], StepSettings],
        max_concurrency: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.n_experts = n_experts
        self.helper = helper
        self.caller = caller
        self.writer = writer
        self.step_settings = step_settings
        self.max_concurrency = max_concurrency
        self.progress = progress

    def step(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None,
        n_mutations: int,
        keep: int,
    ) -> list[tuple[LabelerCheckpoint, float]]:
        """The step's ``keep`` best mixtures: the i-th holds each expert's i-th best rules."""
        self.caller.check_stop()
        step = 1 if checkpoint is None else checkpoint.steps_done + 1
        settings = self.step_settings(n_mutations, keep)
        before = self.caller.stats
        session = CallSession(self.caller, self.max_concurrency)
        try:
            router = Router(self.caller, session, self.helper, settings.task)
            parts = self._parts(checkpoint, train_df, router, settings.seed)
            tests = self._routed_tests(parts, test_df, router)
            with ThreadPoolExecutor(len(parts), thread_name_prefix="labeler-expert") as pool:
                futures = [
                    pool.submit(
                        self._train_expert,
                        part,
                        train_df,
                        tests[part.index],
                        session,
                        settings,
                        n_mutations,
                        step,
                    )
                    for part in parts
                ]
                errors = [future.exception() for future in futures]
            session.raise_failure()
            for error in errors:
                if error is not None:
                    raise error
        finally:
            session.close()
        after = self.caller.stats
        return self._combine(checkpoint, parts, settings, step, keep, len(train_df), after, before)

    def initialize(self, train_df: pd.DataFrame) -> LabelerCheckpoint:
        """The groups, and each expert's first rules: one per label, from its group's rows."""
        self.caller.check_stop()
        settings = self.step_settings(1, 1)
        session = CallSession(self.caller, self.max_concurrency)
        try:
            router = Router(self.caller, session, self.helper, settings.task)
            parts = self._parts(None, train_df, router, settings.seed)
            with ThreadPoolExecutor(len(parts), thread_name_prefix="labeler-expert") as pool:
                futures = [
                    pool.submit(
                        self.writer.write,
                        self._rule_source(train_df.iloc[part.rows], train_df, settings),
                        [0],
                        session,
                        ProgressReporter(self.progress, self.caller),
                    )
                    for part in parts
                ]
                written = [future.exception() or future.result()[0] for future in futures]
            session.raise_failure()
        finally:
            session.close()
        experts = []
        for part, first in zip(parts, written, strict=True):
            if isinstance(first, BaseException):
                raise first
            experts.append(Expert(first, part.centroid, part.rows))
        return LabelerCheckpoint(
            experts=experts,
            expert_source_size=len(train_df),
            embedding_model=self.helper.embedding_model,
        )

    # -- the groups ------------------------------------------------------------------------------

    def _parts(
        self,
        checkpoint: LabelerCheckpoint | None,
        train_df: pd.DataFrame,
        router: Router,
        seed: int,
    ) -> list[_ExpertPart]:
        if checkpoint is not None and checkpoint.experts:
            return self._kept_groups(checkpoint, train_df, router, seed)
        check_rows_for_experts(self.n_experts, len(train_df))
        positions = _grouped_sample(len(train_df), seed)
        vectors = router.vectors(train_df, positions)
        try:
            clustering = kmeans(vectors, self.n_experts, seed)
        except ValueError as error:
            raise ValueError(
                f"n_experts={self.n_experts} needs at least {self.n_experts} rows with different "
                f"texts to group ({error})"
            ) from error
        # Training started from a single rule set: every expert starts from its rules.
        start = checkpoint.copy() if checkpoint is not None else None
        if start is not None:
            start.validation_rows = start.validation_source_size = None
            start.history = []
        return [
            _ExpertPart(
                index=index,
                start=None if start is None else start.copy(),
                centroid=[float(value) for value in clustering.centroids[index]],
                rows=[int(positions[i]) for i in np.flatnonzero(clustering.assignment == index)],
            )
            for index in range(self.n_experts)
        ]

    def _kept_groups(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame, router: Router, seed: int
    ) -> list[_ExpertPart]:
        n_rows = len(train_df)
        rows = [list(expert.rows) for expert in checkpoint.experts]
        same_frame = checkpoint.expert_source_size == n_rows and all(
            0 <= row < n_rows for group in rows for row in group
        )
        if not same_frame:
            # Other training data than the groups were made from: route a sample of it.
            positions = _grouped_sample(n_rows, seed)
            centroids = np.array([expert.centroid for expert in checkpoint.experts])
            routed = router.route(router.vectors(train_df, positions), centroids)
            rows = [
                [int(positions[i]) for i in np.flatnonzero(routed == index)]
                for index in range(len(centroids))
            ]
        return [
            _ExpertPart(index, expert.checkpoint, list(expert.centroid), group)
            for index, (expert, group) in enumerate(zip(checkpoint.experts, rows, strict=True))
        ]

    def _routed_tests(
        self, parts: list[_ExpertPart], test_df: pd.DataFrame | None, router: Router
    ) -> list[pd.DataFrame | None]:
        if test_df is None or len(test_df) == 0:
            return [None] * len(parts)
        centroids = np.array([part.centroid for part in parts])
        routed = router.route(router.vectors(test_df, range(len(test_df))), centroids)
        # An expert no validation row goes to is scored on a sample of its own rows instead.
        return [
            test_df.iloc[found].reset_index(drop=True)
            if len(found := np.flatnonzero(routed == part.index))
            else None
            for part in parts
        ]

    # -- training each expert ----------------------------------------------------------------------

    def _train_expert(
        self,
        part: _ExpertPart,
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None,
        session: CallSession,
        settings: StepSettings,
        n_mutations: int,
        step: int,
    ) -> None:
        if not part.rows:
            return  # no training row comes to this expert: its rules stay as they are
        group = train_df.iloc[part.rows].reset_index(drop=True)
        runner = TrainingStep(
            settings, session, self.caller, ProgressReporter(self.progress, self.caller, step), step
        )
        try:
            if part.start is None:
                source = self._rule_source(group, train_df, settings)
                fresh = self.writer.write(
                    source,
                    range(n_mutations),
                    session,
                    ProgressReporter(self.progress, self.caller),
                )
                part.ranked = runner.rank_fresh(fresh, group, test_df)
            else:
                part.ranked = runner.improve(part.start, group, test_df)
        except BaseException as error:
            session.fail(error)
            raise
        part.runner = runner
        part.validation_size = (
            len(test_df) if test_df is not None else len(runner.validation_rows or [])
        )

    def _rule_source(
        self, group: pd.DataFrame, train_df: pd.DataFrame, settings: StepSettings
    ) -> pd.DataFrame:
        """The group, plus a few rows of each label it lacks, so every label gets a first rule."""
        group = group.reset_index(drop=True)
        try:
            rows_by_label(group, settings.task)
            return group
        except ValueError:
            pass
        everywhere = rows_by_label(train_df, settings.task)
        present = {
            index
            for index, value in enumerate(settings.task.labels.values)
            if (group[settings.task.label_name].map(settings.task.labels.index_of) == index).any()
        }
        borrowed = [
            int(row)
            for index, rows in enumerate(everywhere)
            if index not in present
            for row in rows[:_BORROWED_EXAMPLES]
        ]
        return pd.concat([group, train_df.iloc[borrowed]], ignore_index=True)

    # -- the step's result -------------------------------------------------------------------------

    def _combine(
        self,
        checkpoint: LabelerCheckpoint | None,
        parts: list[_ExpertPart],
        settings: StepSettings,
        step: int,
        keep: int,
        n_rows: int,
        after: LabelerStats,
        before: LabelerStats,
    ) -> list[tuple[LabelerCheckpoint, float]]:
        trained = [part for part in parts if part.ranked]
        if not trained:
            raise ValueError("no expert has training rows: the training data is empty")
        depth = min(keep, max(len(part.ranked or []) for part in trained))
        previous = self._previous_score(trained, settings)
        results = []
        for rank in range(depth):
            experts, chosen = [], []
            for part in parts:
                if not part.ranked or part.runner is None:
                    assert part.start is not None
                    experts.append(Expert(part.start.copy(), part.centroid, part.rows))
                    continue
                entry = part.ranked[min(rank, len(part.ranked) - 1)]
                chosen.append((part, entry))
                expert_previous = next(
                    (e.score for e in part.ranked if e.order == CURRENT_ORDER), None
                )
                experts.append(
                    Expert(
                        part.runner.record(
                            entry,
                            previous_score=expert_previous,
                            # The mixture's record counts the step's calls, made by all experts.
                            model_calls=0,
                            cache_hits=0,
                            candidates_scored=len(part.ranked),
                            wrong_examples_used=part.runner.wrong_examples_used,
                            validation_size=part.validation_size,
                        ),
                        part.centroid,
                        part.rows,
                    )
                )
            combined = combine_scorecards(
                [entry.scorecard for _, entry in chosen],
                [part.validation_size for part, _ in chosen],
            )
            score = score_value(
                combined, settings.score_fn, settings.task.labels, settings.pos_label
            )
            changes = [
                f"expert {part.index + 1}: {entry.change}" for part, entry in chosen if entry.change
            ]
            mixture = LabelerCheckpoint(
                history=[] if checkpoint is None else checkpoint.copy().history,
                experts=experts,
                expert_source_size=n_rows,
                embedding_model=self.helper.embedding_model,
            )
            mixture.history.append(
                StepRecord(
                    step=step,
                    score=score,
                    previous_score=previous,
                    score_fn=settings.score_fn,
                    candidates_scored=after.candidates_scored - before.candidates_scored,
                    model_calls=after.model_calls - before.model_calls,
                    cache_hits=after.cache_hits - before.cache_hits,
                    wrong_examples_used=sum(
                        part.runner.wrong_examples_used for part, _ in chosen if part.runner
                    ),
                    change="; ".join(changes) or None,
                    n_empty=combined["n_empty"],
                    validation_size=sum(part.validation_size for part, _ in chosen),
                )
            )
            results.append((mixture, score))
        return results

    def _previous_score(
        self, trained: Sequence[_ExpertPart], settings: StepSettings
    ) -> float | None:
        """The mixture's score before the step, when every trained expert had rules before it."""
        current = [
            next((entry for entry in part.ranked or [] if entry.order == CURRENT_ORDER), None)
            for part in trained
        ]
        if any(entry is None for entry in current):
            return None
        combined = combine_scorecards(
            [entry.scorecard for entry in current if entry is not None],
            [part.validation_size for part in trained],
        )
        return score_value(combined, settings.score_fn, settings.task.labels, settings.pos_label)


def _grouped_sample(n_rows: int, seed: int) -> np.ndarray:
    """The training rows grouped: all of them, or a seeded sample of ``MAX_GROUPED_ROWS``."""
    if n_rows <= MAX_GROUPED_ROWS:
        return np.arange(n_rows)
    rng = np.random.default_rng([seed, EXPERT_STREAM])
    return np.sort(rng.choice(n_rows, size=MAX_GROUPED_ROWS, replace=False))
