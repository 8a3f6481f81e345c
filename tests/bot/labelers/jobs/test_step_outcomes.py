"""Steps that cannot finish: a model that keeps failing, data that expired, a worker shutting
down (the step goes back to the queue instead of being lost)."""

from __future__ import annotations

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FAILED, FINISHED, QUEUED, RunStore
from tests.alignment.labeler_world import prompt_kind
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.models import Request
from tests.fakes.slack_emulator import SlackEmulator


def test_a_step_that_fails_for_good_says_why_in_the_thread(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    runs = RunStore(runtime.redis, WORKSPACE)

    def break_in_step_2(request: Request) -> None:
        run = runs.load(handle.run_id)
        if run is not None and run.steps_done == 1 and prompt_kind(request.prompt) == "feedback":
            raise RuntimeError("503 the service is unavailable")

    world.before_answer = break_in_step_2
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    run_burst(runtime)

    run = runs.load(handle.run_id)
    assert run is not None and run.status == FAILED and run.steps_done == 1
    notes = [all_text(m) for m in thread_messages(slack, handle.thread_ts)]
    failure = next(note for note in notes if "Training stopped during step 2" in note)
    assert "a model call failed for good" in failure and "503 the service is unavailable" in failure
    assert "Version 1 (after step 1) is kept" in failure
    assert "stopped during step 2 of 3" in all_text(slack.calls_to("chat.update")[-1].params)
    assert runs.running_run_id("hate") is None


def test_data_that_expired_before_a_step_ran_is_explained(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    runtime.redis.delete(WORKSPACE.keys.dataset(handle.dataset_id))
    run_burst(runtime)

    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == FAILED
    assert any(
        "Upload the CSV again" in all_text(m) for m in thread_messages(slack, handle.thread_ts)
    )


def test_a_shutting_down_worker_hands_its_step_back_to_the_queue(
    runtime: TrainingRuntime, world: World
) -> None:
    runs = RunStore(runtime.redis, WORKSPACE)

    def shut_down_in_step_2(request: Request) -> None:
        run = runs.load(handle.run_id)
        if run is not None and run.steps_done == 1 and not run.pending_evaluation:
            runtime.stopping.set()

    world.before_answer = shut_down_in_step_2
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    run_burst(runtime)

    run = runs.load(handle.run_id)
    assert run is not None and run.status == QUEUED and run.steps_done == 1
    assert run.attempts == 0  # a shutdown is not the step's fault
    assert runtime.queue().job_ids == [run.job_id]

    world.before_answer = None
    runtime.stopping.clear()
    run_burst(runtime)
    finished = runs.load(handle.run_id)
    assert finished is not None and finished.status == FINISHED
    assert [result.step for result in finished.history] == [1, 2, 3]
