"""Who runs the steps: dedicated workers found in RQ's registry, or the runner inside serve."""

from __future__ import annotations

import signal
from collections.abc import Callable

import redis

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import (
    SERVE_NAME_PREFIX,
    InProcessRunner,
    TrainingWorker,
    dedicated_worker_alive,
)
from bot.labelers.run_state import FINISHED, QUEUED, RunStore, TrainingRun
from tests.alignment.labeler_world import RuleWorld, truth_of
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    HeldAnswers,
    World,
    labelled_frame,
    training_request,
)
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.slack_emulator import SlackEmulator


def test_only_a_dedicated_worker_that_heartbeats_counts_as_running(
    runtime: TrainingRuntime,
) -> None:
    assert not dedicated_worker_alive(runtime)
    inside_serve = TrainingWorker(runtime, f"{SERVE_NAME_PREFIX}test")
    inside_serve.register_birth()
    assert not dedicated_worker_alive(runtime)

    dedicated = TrainingWorker(runtime, "alignbot-worker-test")
    dedicated.register_birth()
    assert dedicated_worker_alive(runtime)
    dedicated.register_death()
    inside_serve.register_death()
    assert not dedicated_worker_alive(runtime)


def test_serve_runs_the_training_itself_when_no_worker_is_alive(
    runtime: TrainingRuntime, world: World
) -> None:
    runner = InProcessRunner(runtime, poll_seconds=0.05).start()
    try:
        handle = start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=2))
        runs = RunStore(runtime.redis, WORKSPACE)

        def finished() -> TrainingRun | None:
            run = runs.load(handle.run_id)
            return run if run is not None and run.status == FINISHED else None

        assert wait_until(finished, 30, what="the in-process runner to finish the training")
    finally:
        runner.stop()


def test_serve_leaves_the_queue_to_a_live_worker_and_takes_over_when_it_is_gone(
    runtime: TrainingRuntime, world: World
) -> None:
    dedicated = TrainingWorker(runtime, "alignbot-worker-busy")
    dedicated.register_birth()
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))
    runner = InProcessRunner(runtime)

    assert not runner.run_once()
    assert runtime.queue().count == 1
    dedicated.register_death()
    assert runner.run_once()
    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == FINISHED


def test_alignbot_serve_trains_when_no_worker_runs(
    bot_process: Callable[..., BotProcess],
    fake_gemini: FakeGemini,
    make_runtime: Callable[..., TrainingRuntime],
    slack: SlackEmulator,
) -> None:
    frame = labelled_frame()
    world = RuleWorld(truth=truth_of(frame), fallback="False")
    fake_gemini.responder = lambda request: world.answer(prompt_text(request))
    bot = bot_process(model_env=fake_gemini.env)
    runtime = make_runtime()
    handle = start_training(runtime.services, WORKSPACE, training_request(frame, steps=2))
    runs = RunStore(runtime.redis, WORKSPACE)

    def finished() -> TrainingRun | None:
        run = runs.load(handle.run_id)
        return run if run is not None and run.status == FINISHED else None

    run = wait_until(finished, 60, what=f"serve to run the training\n{bot.output()}")
    assert run.steps_done == 2
    assert slack.calls_to("files.completeUploadExternal", ok_only=True)
    assert bot.stop() == 0


def test_stopping_serve_hands_the_running_step_back_to_the_queue_at_once(
    bot_process: Callable[..., BotProcess],
    fake_gemini: FakeGemini,
    make_runtime: Callable[..., TrainingRuntime],
    redis_client: redis.Redis,
) -> None:
    frame = labelled_frame()
    held = HeldAnswers(RuleWorld(truth=truth_of(frame), fallback="False"))
    fake_gemini.responder = held
    # A lease far longer than the test: only a hand-back on stop can queue the step again.
    bot = bot_process(model_env=fake_gemini.env, ALIGN_TRAIN_LEASE_SECONDS="600")
    runtime = make_runtime()
    handle = start_training(runtime.services, WORKSPACE, training_request(frame))
    assert held.working.wait(60), bot.output()
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    # Let the step's model calls finish only once the runner has been told to stop, so the step
    # sees the stop between two calls instead of racing it to the end.
    wait_until(lambda: "training runner stopping" in bot.output(), 30, what="the runner to stop")
    held.release.set()
    assert bot.process.wait(30) == 0, bot.output()

    run = RunStore(redis_client, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == QUEUED and run.steps_done == 0, bot.output()
    assert run.attempts == 0 and run.job_id != handle.job_id
    assert runtime.queue().job_ids == [run.job_id]
