"""One training step: find mistakes, turn each into rule changes, score every candidate, rank.

The step is a small dataflow, so that independent model calls overlap and dependent ones wait
no longer than they must:

- the current checkpoint classifies the validation rows (these calls also score it);
- as soon as the first wrong predictions are known (``mistake_mining``), an improvement chain
  starts for each (``improvement_chain``): feedback, mutation choices, rule texts;
- each candidate checkpoint is scored on the validation rows as soon as it exists
  (``candidate_scoring``), and the current checkpoint competes with them; or, when racing
  (``racing``), each starts on a first slice of the rows as soon as it exists, and the race
  goes on once every chain has ended.

Chains wait on their own calls, so they run on threads of their own (``step_threads``); every
model call runs in the session's worker pool, which bounds calls in flight. Chain calls have the
highest priority, so they are never stuck behind hundreds of queued scoring calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future

import numpy as np
import pandas as pd

from alignment._labeler.candidate_scoring import (
    CURRENT_ORDER,
    CandidateClaims,
    CandidateScorer,
    ScoredCheckpoint,
)
from alignment._labeler.examples import Example, examples_at
from alignment._labeler.improvement_chain import Candidates, ImprovementChains
from alignment._labeler.mistake_mining import MistakeSearch
from alignment._labeler.model_calls import CallSession, ModelCaller
from alignment._labeler.progress import ProgressReporter
from alignment._labeler.prompts import WrongPrediction
from alignment._labeler.racing import Race
from alignment._labeler.step_settings import PRIORITY_MINE, STEP_STREAM, StepSettings
from alignment._labeler.step_threads import ChainThreads
from alignment._labeler.types import LabelerCheckpoint, StepRecord
from alignment._labeler.validation_sample import validation_positions

__all__ = [
    "CURRENT_ORDER",
    "PRIORITY_MINE",
    "ScoredCheckpoint",
    "StepSettings",
    "TrainingStep",
]


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
        self._claims = CandidateClaims()
        self._rng = np.random.default_rng([settings.seed, STEP_STREAM, step])
        # A thread per mistake and per change it leads to, plus one scoring the current rules.
        self._threads = ChainThreads(session, settings.n_incorrect * (1 + settings.n_mutations) + 1)
        self._scorer = CandidateScorer(settings, session, step)
        self._score_progress = progress.phase("score", 0)
        self._race: Race | None = None
        # Set when the validation rows come from the training frame, to be kept in the result.
        self.validation_rows: list[int] | None = None
        self.validation_source_size: int | None = None
        self.wrong_examples_used = 0

    def improve(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame, test_df: pd.DataFrame | None
    ) -> list[ScoredCheckpoint]:
        """The current checkpoint and its scored mutations, best first (current wins ties)."""
        validation = self._validation(checkpoint, train_df, test_df)
        if self.settings.racing:
            self._race = Race(
                self.settings, self.session, self._scorer, self._claims, validation, self.step
            )
        validate = self.progress.phase("validate", len(validation))
        validate.start()
        search = MistakeSearch(
            self.settings, self.session, self.progress, self.step, self._rng, self._debug
        )
        with self._threads:
            if test_df is None:
                current_futures, mistakes = search.in_validation_rows(
                    checkpoint, validation, validate
                )
                chains = self._start_chains(checkpoint, validation, mistakes)
                predictions = [future.result() for future in current_futures]
            else:
                scoring = self._threads.spawn(
                    self._scorer.classify_all, checkpoint, validation, None, validate
                )
                mistakes = search.in_training_rows(checkpoint, train_df)
                chains = self._start_chains(checkpoint, validation, mistakes)
                predictions = scoring.result()
            current = self._scorer.scored(checkpoint, validation, predictions, None, CURRENT_ORDER)
            self._debug(
                f"current checkpoint scores {current.score:.3f}; {search.tally.read} rows read "
                f"for {len(chains)} mistakes ({search.tally.empty} empty answers skipped)"
            )
            candidates = [
                result
                for chain in chains
                for future in chain.result()
                if (result := future.result()) is not None
            ]
            if self._race is not None:
                self._race.enter_scored(current, predictions)
                return self._race.finish()
        return self._claims.rank([current, *candidates])

    def rank_fresh(
        self,
        candidates: list[LabelerCheckpoint],
        train_df: pd.DataFrame,
        test_df: pd.DataFrame | None,
    ) -> list[ScoredCheckpoint]:
        """Score checkpoints made from scratch (training started without one), best first."""
        validation = self._validation(None, train_df, test_df)
        with self._threads:
            self._score_progress.add_to_total(len(candidates))
            futures = [
                self._threads.spawn(
                    self._scorer.score, candidate, validation, "initial rules", (i,)
                )
                for i, candidate in enumerate(candidates)
            ]
            scored = []
            for future in futures:
                scored.append(future.result())
                self._score_progress.advance()
        self.caller.count(candidates_scored=len(scored))
        return self._claims.rank(scored)

    def score_current(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame, test_df: pd.DataFrame | None
    ) -> ScoredCheckpoint:
        """``checkpoint`` scored on the validation rows a step from it would use; nothing else.

        The rows are the ones ``improve`` would draw (the checkpoint's own, else the seeded
        sample), so the score is the one its next step starts from.
        """
        validation = self._validation(checkpoint, train_df, test_df)
        validate = self.progress.phase("validate", len(validation))
        validate.start()
        return self._scorer.score(checkpoint, validation, None, CURRENT_ORDER, validate)

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

    def _start_chains(
        self,
        checkpoint: LabelerCheckpoint,
        validation: list[Example],
        mistakes: Iterator[WrongPrediction],
    ) -> list[Future[Candidates]]:
        """Start an improvement chain at each mistake as soon as it is found."""
        wanted = self.settings.n_incorrect
        improve_progress = self.progress.phase("improve", wanted)
        chains = ImprovementChains(
            self.settings,
            self.session,
            self.caller,
            self._threads,
            self._scorer,
            self._claims,
            self.step,
            improve_progress,
            self._score_progress,
            self._debug,
            self._race,
        )
        started = [
            chains.start(checkpoint, wrong, index, validation)
            for index, wrong in enumerate(mistakes)
        ]
        self.wrong_examples_used = len(started)
        # Fewer mistakes than wanted: the phase is complete with the chains there are.
        improve_progress.add_to_total(len(started) - wanted)
        return started

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

    def _debug(self, message: str) -> None:
        if self.settings.debug:
            print(f"[step {self.step}] {message}")
