"""A labeler's first checkpoint: one rule per label, written from a few examples of that label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alignment._labeler.examples import examples_at
from alignment._labeler.model_calls import CallSession, ModelRequest
from alignment._labeler.mutations import clean_rule_text, rule_id_for
from alignment._labeler.progress import ProgressReporter
from alignment._labeler.prompts import TaskSpec, initial_rule_prompt
from alignment._labeler.step_settings import (
    INIT_STREAM,
    PRIORITY_CHAIN,
    TRAIN_MAX_OUTPUT_TOKENS,
    TRAIN_STOP_SEQUENCES,
    TRAIN_TEMPERATURE,
)
from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint
from alignment._labeler.validation_sample import validation_positions
from alignment._providers.base import ModelHelper

EXAMPLES_PER_INITIAL_RULE = 2


@dataclass(frozen=True)
class InitialRuleWriter:
    task: TaskSpec
    train_helper: ModelHelper
    seed: int
    n_validation: int

    def write(
        self,
        train_examples: pd.DataFrame,
        attempts: Sequence[int],
        session: CallSession,
        progress: ProgressReporter,
    ) -> list[LabelerCheckpoint]:
        """One first checkpoint per attempt, each from its own seeded sample of examples.

        Every label's rule is asked for at once. Each checkpoint also records the run's
        validation rows, drawn from ``train_examples`` with the seed.
        """
        labels = self.task.labels
        label_positions = rows_by_label(train_examples, self.task)
        phase = progress.phase("initialize", len(attempts) * len(labels))
        phase.start()
        futures = []
        for attempt in attempts:
            rng = np.random.default_rng([self.seed, INIT_STREAM, attempt])
            for label_index, positions in enumerate(label_positions):
                chosen = rng.choice(
                    positions, size=min(EXAMPLES_PER_INITIAL_RULE, len(positions)), replace=False
                )
                examples = examples_at(
                    train_examples, sorted(chosen), self.task.input_names, self.task.label_name
                )
                label_text = labels.texts[label_index]
                request = ModelRequest(
                    initial_rule_prompt(self.task, label_text, examples),
                    TRAIN_TEMPERATURE,
                    TRAIN_STOP_SEQUENCES,
                    TRAIN_MAX_OUTPUT_TOKENS,
                )
                future = session.submit(
                    self.train_helper,
                    request,
                    f'asking the training model for a first rule for "{label_text}"',
                    clean_rule_text,
                    PRIORITY_CHAIN,
                )
                future.add_done_callback(lambda _: phase.advance())
                futures.append(future)
        try:
            texts = [future.result() for future in futures]
        except BaseException as error:
            session.fail(error)
            session.raise_failure()
            raise
        validation = validation_positions(None, len(train_examples), self.n_validation, self.seed)
        checkpoints = []
        for attempt_index in range(len(attempts)):
            rules = texts[attempt_index * len(labels) : (attempt_index + 1) * len(labels)]
            checkpoint = LabelerCheckpoint(
                validation_rows=list(validation), validation_source_size=len(train_examples)
            )
            for label, text in zip(labels.values, rules, strict=True):
                # A blank answer still leaves the label a rule, to be edited into shape later.
                rule_text = text or f'The example is a clear case of "{label}".'
                rule_id = rule_id_for(checkpoint.next_rule_number)
                checkpoint.attributes.append(
                    LabelerAttribute(id=rule_id, value=rule_text, label=label)
                )
                checkpoint.next_rule_number += 1
            checkpoints.append(checkpoint)
        return checkpoints


def rows_by_label(frame: pd.DataFrame, task: TaskSpec) -> list[np.ndarray]:
    """Row positions of each label (matched by text, so "True" finds True), in label order."""
    column = frame[task.label_name]
    codes = column.map({value: task.labels.index_of(value) for value in pd.unique(column)})
    codes_array = codes.to_numpy(dtype=float, na_value=np.nan)
    positions = []
    for index, label in enumerate(task.labels.values):
        found = np.flatnonzero(codes_array == index)
        if len(found) == 0:
            raise ValueError(
                f'no training rows have {task.label_name} = "{label}"; every label needs '
                "at least one example"
            )
        positions.append(found)
    return positions
