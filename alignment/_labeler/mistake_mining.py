"""Finding the wrong predictions a training step learns from.

Rows are read in a seeded random order, so the first mistakes found are a random sample of all
of them, and the search stops at the ``n_incorrect``-th. Two sources of rows:

- without a separate validation frame, the validation rows, which are classified anyway to score
  the current checkpoint, so looking for mistakes among them costs no extra call;
- with one, training rows (keeping that frame out of training), classified batch by batch. Each
  batch is as large as the rows expected to hold the mistakes still wanted, judged from the
  error rate seen so far: big enough to run side by side, small enough that few calls are spent
  on rows read after the search has ended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignment._labeler.examples import Example, examples_at
from alignment._labeler.model_calls import CallSession
from alignment._labeler.progress import PhaseProgress, ProgressReporter
from alignment._labeler.prompts import WrongPrediction
from alignment._labeler.step_settings import PRIORITY_MINE, StepSettings
from alignment._labeler.types import LabelerCheckpoint, PredictionResult

Predictions = Generator[tuple[Example, Future[PredictionResult]], None, None]


def read_ahead_size(still_needed: int, read: int, wrong: int, limit: int) -> int:
    """How many more rows to classify at once to find ``still_needed`` more mistakes.

    The error rate is estimated as ``(wrong + 1) / (read + 2)``: as if one right and one wrong
    prediction had been seen before any row, so the estimate starts at one half and never
    reaches zero however long a classifier has been right. The batch is the number of rows that
    rate needs, at most ``limit`` (the step's call slots) and at least one row.
    """
    if still_needed <= 0:
        return 0
    error_rate = (wrong + 1) / (read + 2)
    return max(1, min(limit, math.ceil(still_needed / error_rate)))


@dataclass
class MiningTally:
    """What the search has read so far, in reading order."""

    wanted: int
    read: int = 0
    wrong: int = 0
    empty: int = 0

    @property
    def still_needed(self) -> int:
        return max(0, self.wanted - self.wrong)


class MistakeSearch:
    """One step's search for wrong predictions of the current checkpoint; create one per step."""

    def __init__(
        self,
        settings: StepSettings,
        session: CallSession,
        progress: ProgressReporter,
        step: int,
        rng: np.random.Generator,
        debug: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.session = session
        self.progress = progress
        self.step = step
        self.rng = rng
        self.debug = debug
        self.tally = MiningTally(wanted=settings.n_incorrect)

    def in_validation_rows(
        self, checkpoint: LabelerCheckpoint, validation: list[Example], progress: PhaseProgress
    ) -> tuple[list[Future[PredictionResult]], Iterator[WrongPrediction]]:
        """Classify every validation row; the predictions in row order, and the mistakes.

        The predictions also score the current checkpoint, so every row is classified even
        though the search may stop early.
        """
        order = self.rng.permutation(len(validation))
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
        in_reading_order = ((validation[i], futures[i]) for i in order)
        return in_row_order, self._wrong_predictions(in_reading_order)

    def in_training_rows(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame
    ) -> Iterator[WrongPrediction]:
        """The mistakes among at most ``n_validation`` training rows, classified batch by batch.

        The bound matches the rows looked at without a validation frame: a classifier that is
        rarely wrong must not cost a pass over the whole training set.
        """
        return self._wrong_predictions(self._training_predictions(checkpoint, train_df))

    def _training_predictions(
        self, checkpoint: LabelerCheckpoint, train_df: pd.DataFrame
    ) -> Predictions:
        task = self.settings.task
        size = min(self.settings.n_validation, len(train_df))
        order = self.rng.choice(len(train_df), size=size, replace=False)
        progress = self.progress.phase("mine", 0)
        taken = 0
        while taken < len(order):
            tally = self.tally
            batch_size = read_ahead_size(
                tally.still_needed, tally.read, tally.wrong, self.settings.lookahead
            )
            if batch_size == 0:
                return
            positions = order[taken : taken + batch_size]
            taken += len(positions)
            progress.add_to_total(len(positions))
            batch = []
            for example in examples_at(train_df, positions, task.input_names, task.label_name):
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
                batch.append((example, future))
            # The whole batch is read (or the search ends) before the next one is sized, so the
            # calls sent depend only on the answers, never on which answer came back first.
            yield from batch

    def _wrong_predictions(self, predictions: Predictions) -> Iterator[WrongPrediction]:
        """Read predictions in order; yield the wrong ones until ``n_incorrect`` are found."""
        labels = self.settings.task.labels
        tally = self.tally
        try:
            while tally.still_needed > 0:
                item = next(predictions, None)
                if item is None:
                    break
                example, future = item
                prediction = future.result()
                tally.read += 1
                if labels.index_of(prediction["prediction"]) is None:
                    tally.empty += 1  # no label named: no rule was applied, nothing to learn
                    continue
                correct = labels.index_of(example.label)
                if correct is None or self.settings.classifier.is_correct(example, prediction):
                    continue  # right, or a row whose true label is not one of the labels
                tally.wrong += 1
                wrong = WrongPrediction(
                    example,
                    prediction["raw_prediction"],
                    prediction["prediction"],
                    labels.values[correct],
                )
                self.debug(
                    f"mistake on row {example.position}: said {wrong.predicted!r}, "
                    f"truth {wrong.correct!r}"
                )
                yield wrong
        finally:
            predictions.close()
