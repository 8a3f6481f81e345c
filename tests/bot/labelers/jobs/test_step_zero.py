"""Step 0 of a training from scratch: the empty starting rules scored once, before step 1, on
the first step's validation rows and on the test rows; kept with the run, never scored again."""

from __future__ import annotations

from typing import Any

import pytest

from alignment.data import split_dataset
from alignment.labeler import Labeler, LabelerCheckpoint
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, QUEUED, RunStore
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.models import Request
from tests.fakes.slack_emulator import SlackEmulator

EMPTY_RULES = "(no rules yet)"


def test_a_training_from_scratch_scores_its_starting_rules_once_as_step_0(
    runtime: TrainingRuntime,
    world: World,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = RunStore(runtime.redis, WORKSPACE)
    scored: list[LabelerCheckpoint | None] = []
    score_rules = Labeler.score_rules

    def counted(self: Labeler, checkpoint: LabelerCheckpoint | None, *args: Any) -> float:
        scored.append(checkpoint)
        return score_rules(self, checkpoint, *args)

    monkeypatch.setattr(Labeler, "score_rules", counted)
    empty_rule_prompts: list[str] = []

    def shut_down_once_step_0_is_saved(request: Request) -> None:
        if EMPTY_RULES in request.prompt:
            empty_rule_prompts.append(request.prompt)
            return
        run = runs.load(handle.run_id)
        if run is not None and run.start is not None:
            runtime.stopping.set()  # the worker stops during step 1: it is handed back

    world.before_answer = shut_down_once_step_0_is_saved
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))
    run_burst(runtime)

    handed_back = runs.load(handle.run_id)
    assert handed_back is not None and handed_back.status == QUEUED
    assert handed_back.steps_done == 0 and handed_back.start is not None
    start = handed_back.start
    # 32 training rows, 16 of them the validation sample, and 8 test rows.
    assert len(empty_rule_prompts) == 16 + 8
    assert start.step == 0 and start.model_calls == 24
    assert handed_back.model_calls >= 24
    # Nothing but the task description: hateful comments (every third) are the mistakes.
    assert 0.0 < start.validation_score < 1.0
    assert start.test_accuracy is not None and 0.0 < start.test_accuracy < 1.0
    assert scored == [None]

    world.before_answer = None
    runtime.stopping.clear()
    run_burst(runtime)
    finished = runs.load(handle.run_id)
    assert finished is not None and finished.status == FINISHED
    assert finished.start == start  # resumed step 1 did not score step 0 again
    assert scored == [None]
    assert [result.step for result in finished.charted_steps] == [0, 1]

    report = "\n".join(all_text(m) for m in thread_messages(slack, handle.thread_ts))
    assert f"Step 0 (before training, no rules yet): validation {start.validation_score:.3f}" in (
        report
    )
    assert "Step 1:" in report


def test_step_0_test_accuracy_is_the_empty_rules_accuracy_on_the_test_rows(
    runtime: TrainingRuntime, world: World
) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))
    run_burst(runtime)
    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.start is not None
    # With no rules the pretend model answers "False" for every comment.
    _, test = split_dataset(world.frame, "isHate", run.test_fraction, run.seed)
    expected = float((~test["isHate"].astype(bool)).mean())
    assert run.start.test_accuracy == pytest.approx(expected)
