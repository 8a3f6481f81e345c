"""Cancelling a training: the flag is seen between model calls, the run ends cancelled, the
thread says who stopped it and what was kept, and the labeler is free to train again."""

from __future__ import annotations

import threading

from bot.labelers.jobs.cancel import request_cancel
from bot.labelers.jobs.reaper import Reaper
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import CANCELLED, RunStore
from bot.labelers.store import LabelerStore
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.models import Request
from tests.fakes.slack_emulator import SlackEmulator

CANCELLER = "U0CANCELS"


def test_cancel_mid_step_stops_after_the_calls_already_in_flight(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    runs = RunStore(runtime.redis, WORKSPACE)
    lock = threading.Lock()
    calls_in_step_2 = 0
    calls_after_cancel = 0
    cancelled = False

    def cancel_partway(request: Request) -> None:
        nonlocal calls_in_step_2, calls_after_cancel, cancelled
        with lock:
            if cancelled:
                calls_after_cancel += 1
                return
            run = runs.load(handle.run_id)
            if run is not None and run.steps_done == 1 and not run.pending_evaluation:
                calls_in_step_2 += 1
                if calls_in_step_2 == 5:
                    request_cancel(runtime.redis, WORKSPACE, "hate", user=CANCELLER)
                    cancelled = True

    world.before_answer = cancel_partway
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    run_burst(runtime)

    run = runs.load(handle.run_id)
    assert run is not None and run.status == CANCELLED and run.steps_done == 1
    # The flag is read before every call: only calls already past that check (at most one per
    # call slot of the labeler, 4 here) reached the model after it was set.
    assert cancelled and calls_after_cancel <= 4
    notes = [all_text(m) for m in thread_messages(slack, handle.thread_ts)]
    assert any(
        f"Training cancelled by <@{CANCELLER}> after step 1." in note
        and "Version 1 (after step 1) is kept" in note
        for note in notes
    )
    assert not any("Report for" in note for note in notes)
    final = all_text(slack.calls_to("chat.update")[-1].params)
    assert "was cancelled after step 1 of 3" in final
    assert [v.step for v in LabelerStore(runtime.redis, WORKSPACE).versions("hate")] == [1]
    assert runs.running_run_id("hate") is None
    assert request_cancel(runtime.redis, WORKSPACE, "hate") is None  # nothing left to cancel


def test_a_training_cancelled_before_any_worker_ran_it_is_ended_by_the_reaper(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    model = world.model()
    runtime.services.models[runtime.services.settings.model_spec] = model
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    assert request_cancel(runtime.redis, WORKSPACE, "hate", user=CANCELLER) == handle.run_id

    assert Reaper(runtime).reap_once() == [handle.run_id]
    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == CANCELLED
    assert any(
        "Training cancelled by" in all_text(m) and "No step finished" in all_text(m)
        for m in thread_messages(slack, handle.thread_ts)
    )
    run_burst(runtime)  # the queued step finds its run over and does nothing
    assert model.requests == []


def test_a_step_that_starts_after_the_cancel_makes_no_model_call(
    runtime: TrainingRuntime, world: World
) -> None:
    model = world.model()
    runtime.services.models[runtime.services.settings.model_spec] = model
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    request_cancel(runtime.redis, WORKSPACE, "hate")
    run_burst(runtime)

    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == CANCELLED
    assert model.requests == []
