"""What a training step is configured with: the labeler's settings, call parameters, priorities."""

from __future__ import annotations

from dataclasses import dataclass

from alignment._labeler.classifier import Classifier
from alignment._labeler.prompts import TaskSpec
from alignment._labeler.types import LabelValue
from alignment._providers.base import ModelHelper

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
RACE_STREAM = 4
EXPERT_STREAM = 5


@dataclass(frozen=True)
class StepSettings:
    """The labeler's settings a training step reads.

    ``lookahead`` bounds how many rows are queued ahead of the ones already read, both when
    looking for mistakes and when scoring; the labeler sets it to its ``max_concurrency``.
    """

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
    # Race candidates (``racing``) instead of scoring each on every row; a race stops once
    # ``keep`` candidates are left, the number of best checkpoints the caller asked for.
    racing: bool = False
    keep: int = 1
