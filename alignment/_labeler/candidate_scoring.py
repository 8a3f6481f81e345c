"""Scoring checkpoints on the validation rows, and ranking them the same way in every run."""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from alignment._labeler.examples import Example
from alignment._labeler.model_calls import CallSession
from alignment._labeler.progress import PhaseProgress
from alignment._labeler.scoring import build_scorecard, score_value
from alignment._labeler.step_settings import PRIORITY_SCORE, StepSettings
from alignment._labeler.types import LabelerCheckpoint, PredictionResult, Scorecard

# The order of the checkpoint a step starts from: it ranks first among equal scores.
CURRENT_ORDER = (-1,)

# Scoring keeps this many rows queued per call slot: every slot stays busy, and memory stays
# flat however large a validation frame is.
_SCORING_WINDOW_PER_SLOT = 4


@dataclass
class ScoredCheckpoint:
    """A checkpoint scored on the validation rows; ``order`` breaks ties deterministically."""

    checkpoint: LabelerCheckpoint
    score: float
    scorecard: Scorecard
    change: str | None
    order: tuple[int, ...] = ()


@dataclass
class CandidateClaims:
    """Candidates already produced in a step, by rules, with every order that produced it.

    Two mistakes can lead to the same rules for every label (the same change, or an edit that
    rewrites a rule into one it already had); they are scored once, and rank by the earliest of
    the orders that produced them, whichever happened to get there first.
    """

    orders: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(
        self, candidate: LabelerCheckpoint, current: LabelerCheckpoint, order: tuple[int, ...]
    ) -> bool:
        """True when ``candidate`` is new this step (and not the current checkpoint itself)."""
        fingerprint = candidate.rules_key()
        if fingerprint == current.rules_key():
            return False
        with self.lock:
            seen = self.orders.get(fingerprint)
            if seen is not None:
                seen.append(order)
                return False
            self.orders[fingerprint] = [order]
            return True

    def rank(self, entries: list[ScoredCheckpoint]) -> list[ScoredCheckpoint]:
        """Best score first; among equal scores, the current checkpoint, then the earliest order."""
        for entry in entries:
            entry.order = self.earliest(entry.checkpoint, entry.order)
        return sorted(entries, key=lambda entry: (-entry.score, entry.order))

    def earliest(self, checkpoint: LabelerCheckpoint, order: tuple[int, ...]) -> tuple[int, ...]:
        """The earliest order that produced ``checkpoint``'s rules (the current's stays first)."""
        if order == CURRENT_ORDER:
            return order
        with self.lock:
            orders = self.orders.get(checkpoint.rules_key())
            return min(orders) if orders else order


class CandidateScorer:
    """Classifies validation rows with a checkpoint and turns the predictions into its score."""

    def __init__(self, settings: StepSettings, session: CallSession, step: int) -> None:
        self.settings = settings
        self.session = session
        self.step = step

    def score(
        self,
        candidate: LabelerCheckpoint,
        validation: list[Example],
        change: str | None,
        order: tuple[int, ...],
        row_progress: PhaseProgress | None = None,
    ) -> ScoredCheckpoint:
        """Classify every validation row with ``candidate``, a bounded window at a time."""
        predictions = self.classify_all(candidate, validation, change, row_progress)
        return self.scored(candidate, validation, predictions, change, order)

    def classify_all(
        self,
        candidate: LabelerCheckpoint,
        validation: list[Example],
        change: str | None,
        row_progress: PhaseProgress | None = None,
    ) -> list[PredictionResult]:
        """The predictions of ``candidate`` for every validation row, in row order."""
        window = self.settings.lookahead * _SCORING_WINDOW_PER_SLOT
        what = "the current rules" if change is None else "a candidate"
        pending: deque[Future[PredictionResult]] = deque()
        predictions: list[PredictionResult] = []
        for example in validation:
            future = self.settings.classifier.submit(
                self.session,
                candidate,
                example,
                f"scoring {what} on validation row {example.position} (step {self.step})",
                PRIORITY_SCORE,
                keep_request=False,
            )
            if row_progress is not None:
                future.add_done_callback(lambda _: row_progress.advance())
            pending.append(future)
            if len(pending) >= window:
                predictions.append(pending.popleft().result())
        predictions.extend(future.result() for future in pending)
        return predictions

    def scored(
        self,
        checkpoint: LabelerCheckpoint,
        validation: list[Example],
        predictions: list[PredictionResult],
        change: str | None,
        order: tuple[int, ...],
    ) -> ScoredCheckpoint:
        """The score of predictions already made (the current checkpoint's, made while mining)."""
        labels = self.settings.task.labels
        card = build_scorecard(labels, [example.label for example in validation], predictions)
        score = score_value(card, self.settings.score_fn, labels, self.settings.pos_label)
        return ScoredCheckpoint(checkpoint, score, card, change, order)
