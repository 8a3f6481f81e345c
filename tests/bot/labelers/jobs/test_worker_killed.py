"""A worker process killed mid-step: its lease expires, the reaper in a new worker queues the
step again, and the new worker finishes the training from the last saved checkpoint."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from alignment.data import split_dataset
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.run_state import FINISHED, QUEUED, RunStore, TrainingRun
from bot.labelers.store import LabelerStore
from bot.services import Services
from tests.alignment.labeler_world import RuleWorld, example_text, prompt_kind, truth_of
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    HeldAnswers,
    all_text,
    labelled_frame,
    thread_messages,
    training_request,
)
from tests.fakes.bot_harness import bot_environment, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.worker_processes import Workers


@pytest.fixture
def workers(
    slack: SlackEmulator, redis_url: str, tmp_path: Path, fake_gemini: FakeGemini
) -> Iterator[Workers]:
    made = Workers(bot_environment(slack, redis_url, tmp_path / "data", fake_gemini.env), tmp_path)
    yield made
    made.stop_all()


def test_a_killed_worker_is_replaced_and_training_resumes_from_the_saved_checkpoint(
    make_runtime: Callable[..., TrainingRuntime],
    make_services: Callable[..., Services],
    fake_gemini: FakeGemini,
    workers: Workers,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    frame = labelled_frame()
    _, test = split_dataset(frame, "isHate", 0.2, 7)
    test_texts = set(test["comment"])
    world = RuleWorld(truth=truth_of(frame), fallback="False")
    measuring = threading.Event()
    killed = threading.Event()
    after_kill: list[str] = []

    def respond(request: RecordedRequest) -> str:
        prompt = prompt_text(request)
        if killed.is_set():
            after_kill.append(prompt_kind(prompt))
        elif (
            prompt_kind(prompt) == "classify"
            and example_text(prompt) in test_texts
            and "(no rules yet)" not in prompt  # step 0 measures the empty starting rules
        ):
            # Step 1's checkpoint is saved and is being measured: hold the worker right here.
            measuring.set()
            killed.wait(30)
        return world.answer(prompt)

    fake_gemini.responder = respond
    runtime = make_runtime(make_services())
    handle = start_training(runtime.services, WORKSPACE, training_request(frame, seed=7))
    runs = RunStore(redis_client, WORKSPACE)

    first = workers.start()
    assert measuring.wait(60), workers.logs()
    saved = runs.load(handle.run_id)
    assert saved is not None and saved.steps_done == 1 and saved.pending_evaluation
    workers.kill_group(first)
    killed.set()

    workers.start()

    def finished() -> TrainingRun | None:
        run = runs.load(handle.run_id)
        return run if run is not None and run.status == FINISHED else None

    run = wait_until(finished, 60, interval=0.1, what=f"the training to finish\n{workers.logs()}")
    assert [result.step for result in run.history] == [1, 2, 3]
    assert all(result.test_accuracy is not None for result in run.history)
    # The new worker started from step 1's checkpoint: no first rules were written again,
    # and the rules of step 1 are still there in step 2's checkpoint.
    assert "initial" not in after_kill and "classify" in after_kill
    versions = LabelerStore(redis_client, WORKSPACE).versions("hate")
    assert [v.step for v in versions] == [1, 2, 3]
    first_rules = {rule["id"] for rule in versions[0].checkpoint.attributes}
    assert first_rules <= {rule["id"] for rule in versions[1].checkpoint.attributes}
    thread = "\n".join(all_text(m) for m in thread_messages(slack, handle.thread_ts))
    assert "stopped responding" in thread and "checkpoint of step 1" in thread
    assert "Report for `hate`" in thread
    assert run.prompt_tokens > 0  # the fake Gemini server reports token counts


def test_a_worker_asked_to_stop_hands_its_step_back_and_exits(
    make_runtime: Callable[..., TrainingRuntime],
    fake_gemini: FakeGemini,
    workers: Workers,
    redis_client: redis.Redis,
) -> None:
    frame = labelled_frame()
    held = HeldAnswers(RuleWorld(truth=truth_of(frame), fallback="False"))
    fake_gemini.responder = held
    runtime = make_runtime()
    handle = start_training(runtime.services, WORKSPACE, training_request(frame))
    worker = workers.start()
    assert held.working.wait(60), workers.logs()
    worker.send_signal(signal.SIGTERM)
    held.release.set()
    assert worker.wait(30) == 0, workers.logs()

    run = RunStore(redis_client, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == QUEUED and run.steps_done == 0
    assert run.attempts == 0 and run.job_id != handle.job_id
    assert runtime.queue().job_ids == [run.job_id]
