"""Racing candidate checkpoints: score each on as many validation rows as it takes to lose.

Full evaluation classifies every validation row with every candidate, although most candidates
are clearly worse than the best after a fraction of the rows. A race classifies every candidate
on a first slice of the rows (in a seeded random order, so a slice is a fair sample even when
the frame is sorted), then adds one slice at a time for the candidates that can still win, until
no more than ``keep`` competitors are left or the rows run out. The survivors are then scored on
every row, so the score a step records is always a full-validation score, comparable between
steps and with the checkpoint the step started from, which is always scored on every row.

When a candidate is dropped: every two competitors are compared on the rows both have been
classified on (the same rows, so the many rows where two rule sets agree cost no variance). From
the rows each got right and the other wrong, the final advantage of the trailing one over all
validation rows is bounded from above (a normal bound for sampling without replacement, with a
small floor on the variance so that "agreed on every row so far" is not taken as proof of
agreement on all of them). A competitor whose bound shows it cannot end a whole row ahead of
``keep`` competitors ranked before it is dropped. Ties go to the earlier competitor, as in full
evaluation, so the current checkpoint keeps winning them.

Racing judges rows right or wrong, which is what accuracy adds up; for the F1 score functions
the labeler evaluates in full instead (``StepSettings.racing`` is off for them).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from alignment._labeler.candidate_scoring import (
    CandidateClaims,
    CandidateScorer,
    ScoredCheckpoint,
)
from alignment._labeler.examples import Example
from alignment._labeler.model_calls import CallSession
from alignment._labeler.step_settings import PRIORITY_SCORE, RACE_STREAM, StepSettings
from alignment._labeler.types import LabelerCheckpoint, PredictionResult

# The first slice and every later one: a fifth of the rows, so at most five rounds wait on each
# other, and never fewer rows than make a comparison mean something.
SLICE_SHARE = 0.2
MIN_SLICE_ROWS = 10
# How many standard deviations the bound on a trailing competitor's final advantage spans, and
# the pseudo-disagreements below: set with ``bench/labeler_racing.py`` (50 seeded steps on a model
# that reads the rules), where 1.5 keeps the same choice in 98 % of steps for 0.57x the calls,
# and 1.0 falls under 95 %.
CONFIDENCE_Z = 1.5
# Pseudo-disagreements added to every comparison: two rule sets that agreed on 20 rows may still
# disagree on some of the next 80, and the bound must not assume they never will.
PSEUDO_DISAGREEMENTS = 0.5


def slice_size(n_rows: int) -> int:
    return max(1, min(n_rows, max(MIN_SLICE_ROWS, math.ceil(n_rows * SLICE_SHARE))))


def advantage_bound(wins: int, losses: int, compared: int, total: int) -> float:
    """Upper bound, in rows, on how far one competitor ends ahead of another on ``total`` rows.

    ``wins`` and ``losses`` count the rows among the ``compared`` ones (a random sample of the
    ``total``) that it got right and the other wrong, and the reverse. The estimate scales the
    observed difference to all rows; its spread is that of a mean over a sample drawn without
    replacement, which shrinks to nothing when every row has been compared.
    """
    if compared <= 0:
        return math.inf
    mean = (wins - losses) / compared
    spread = (wins + losses + PSEUDO_DISAGREEMENTS) / (compared + 1) - mean * mean
    remaining = total - compared
    deviation = math.sqrt(max(spread, 0.0) * total * remaining / compared)
    return mean * total + CONFIDENCE_Z * deviation


@dataclass
class Runner:
    """One competitor: its predictions so far, in race order."""

    checkpoint: LabelerCheckpoint
    change: str | None
    order: tuple[int, ...]
    futures: list[Future[PredictionResult]] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)
    predictions: list[PredictionResult] = field(default_factory=list)
    complete: ScoredCheckpoint | None = None
    dropped: bool = False

    @property
    def accuracy(self) -> float:
        return sum(self.hits) / len(self.hits) if self.hits else 0.0


class Race:
    """The race of one step; candidates enter from the chains, ``finish`` runs the rounds."""

    def __init__(
        self,
        settings: StepSettings,
        session: CallSession,
        scorer: CandidateScorer,
        claims: CandidateClaims,
        validation: list[Example],
        step: int,
    ) -> None:
        self.settings = settings
        self.session = session
        self.scorer = scorer
        self.claims = claims
        self.validation = validation
        self.step = step
        self.keep = max(1, settings.keep)
        rng = np.random.default_rng([settings.seed, RACE_STREAM, step])
        self.row_order = [int(i) for i in rng.permutation(len(validation))]
        self.slice = slice_size(len(validation))
        self.runners: list[Runner] = []
        self._lock = threading.Lock()

    def enter_scored(self, scored: ScoredCheckpoint, predictions: list[PredictionResult]) -> None:
        """A competitor already classified on every row (the checkpoint the step started from)."""
        runner = Runner(scored.checkpoint, scored.change, scored.order, complete=scored)
        runner.predictions = [predictions[i] for i in self.row_order]
        runner.hits = [self._is_hit(i, predictions[i]) for i in self.row_order]
        with self._lock:
            self.runners.append(runner)

    def enter(self, candidate: LabelerCheckpoint, change: str, order: tuple[int, ...]) -> None:
        """Start classifying the first slice with a new candidate at once (no waiting here)."""
        runner = Runner(candidate, change, order)
        self._extend(runner, self.slice)
        with self._lock:
            self.runners.append(runner)

    def finish(self) -> list[ScoredCheckpoint]:
        """Run the rounds; every competitor, best first, dropped ones after every survivor.

        Survivors and the current checkpoint carry full-validation scores; a dropped candidate
        carries its score on the rows it was classified on, ranked after every survivor.
        """
        total = len(self.validation)
        # Entry order is chain-timing order, and so is the order a duplicate was first claimed
        # with: settle both, so the rounds never depend on which thread got somewhere first.
        for runner in self.runners:
            runner.order = self.claims.earliest(runner.checkpoint, runner.order)
        runners = sorted(self.runners, key=lambda runner: runner.order)
        reached = min(self.slice, total)
        while True:
            for runner in runners:
                self._settle(runner)
            self._drop_losers(runners, total)
            # Only candidates cost calls; the current checkpoint is already scored on every row.
            contenders = [r for r in runners if not r.dropped and r.complete is None]
            if len(contenders) <= self.keep or reached >= total:
                break
            reached = min(total, reached + self.slice)
            for runner in contenders:
                self._extend(runner, reached)
        for runner in runners:
            if not runner.dropped and runner.complete is None:
                self._extend(runner, total)
                self._settle(runner)
        survivors = [self._scored(runner) for runner in runners if not runner.dropped]
        dropped = [self._scored(runner) for runner in runners if runner.dropped]
        by_score = sorted(survivors, key=lambda entry: (-entry.score, entry.order))
        return by_score + sorted(dropped, key=lambda entry: (-entry.score, entry.order))

    def _extend(self, runner: Runner, upto: int) -> None:
        """Queue classifications with ``runner``'s rules up to the ``upto``-th row of the race."""
        if runner.complete is not None:
            return
        for position in self.row_order[len(runner.futures) : upto]:
            example = self.validation[position]
            runner.futures.append(
                self.settings.classifier.submit(
                    self.session,
                    runner.checkpoint,
                    example,
                    f"scoring a candidate on validation row {example.position} (step {self.step})",
                    PRIORITY_SCORE,
                    keep_request=False,
                )
            )

    def _settle(self, runner: Runner) -> None:
        """Wait for the classifications queued for ``runner`` and record them."""
        if runner.complete is not None:
            return
        for index in range(len(runner.hits), len(runner.futures)):
            prediction = runner.futures[index].result()
            runner.predictions.append(prediction)
            runner.hits.append(self._is_hit(self.row_order[index], prediction))

    def _is_hit(self, position: int, prediction: PredictionResult) -> bool:
        return self.settings.classifier.is_correct(self.validation[position], prediction)

    def _drop_losers(self, runners: list[Runner], total: int) -> None:
        """Drop every candidate that cannot end a row ahead of ``keep`` competitors before it.

        The current checkpoint is never dropped: it costs nothing more, and the winner must beat
        its full score, so that a step never makes its checkpoint worse.
        """
        alive = [runner for runner in runners if not runner.dropped]
        ranked = sorted(alive, key=lambda runner: (-runner.accuracy, runner.order))
        for place, runner in enumerate(ranked):
            if place < self.keep or runner.complete is not None:
                continue
            ahead = [other for other in ranked[:place] if not other.dropped]
            beaten_by = sum(1 for other in ahead if self._cannot_overtake(runner, other, total))
            if beaten_by >= self.keep:
                runner.dropped = True

    @staticmethod
    def _cannot_overtake(runner: Runner, other: Runner, total: int) -> bool:
        compared = min(len(runner.hits), len(other.hits))
        wins = sum(
            1 for a, b in zip(runner.hits[:compared], other.hits[:compared], strict=True) if a > b
        )
        losses = sum(
            1 for a, b in zip(runner.hits[:compared], other.hits[:compared], strict=True) if a < b
        )
        return advantage_bound(wins, losses, compared, total) < 1

    def _scored(self, runner: Runner) -> ScoredCheckpoint:
        if runner.complete is not None:
            return runner.complete
        positions = self.row_order[: len(runner.predictions)]
        rows = [self.validation[position] for position in positions]
        if len(rows) == len(self.validation):
            # Back to row order, so the scorecard matches full evaluation's exactly.
            by_position = dict(zip(positions, runner.predictions, strict=True))
            rows = list(self.validation)
            predictions = [by_position[position] for position in range(len(self.validation))]
        else:
            predictions = runner.predictions
        return self.scorer.scored(runner.checkpoint, rows, predictions, runner.change, runner.order)
