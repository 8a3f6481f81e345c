"""A whole training through RQ jobs: three steps run by a burst worker with the JSON serializer,
the progress message edited in place, the report and its plot in the thread, the split shown."""

from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any

import matplotlib.image
import pytest
import redis

from alignment.labeler import LabelerCheckpoint
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RunStore
from bot.labelers.store import LabelerStore
from tests.alignment.labeler_world import example_text, prompt_kind
from tests.bot.labelers.jobs.support import (
    CHANNEL,
    WORKSPACE,
    FakeClock,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import SlackEmulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def record_edit_times(slack: SlackEmulator, clock: FakeClock) -> list[float]:
    """The fake-clock time at which each chat.update reached the emulator."""
    times: list[float] = []
    update = slack._methods["chat.update"]

    def timed(params: dict[str, Any]) -> dict[str, Any]:
        times.append(clock.now())
        return update(params)

    slack._methods["chat.update"] = timed
    return times


def test_three_steps_run_as_jobs_with_throttled_progress_and_a_report(
    runtime: TrainingRuntime, slack: SlackEmulator, clock: FakeClock, world: World
) -> None:
    edit_times = record_edit_times(slack, clock)
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))

    first = slack.calls_to("chat.postMessage")[0].params
    assert first["channel"] == CHANNEL
    assert "32 to train, 8 to test" in all_text(first)  # the split is shown from the start
    assert run_burst(runtime)

    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None
    assert run.status == FINISHED and run.steps_done == 3
    assert [result.step for result in run.history] == [1, 2, 3]
    assert all(result.test_accuracy is not None for result in run.history)

    # One progress message, edited in place, never twice within 3 seconds of clock time.
    updates = slack.calls_to("chat.update", ok_only=True)
    assert {call.params["ts"] for call in updates} == {handle.message_ts}
    assert len(updates) >= 3
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(edit_times))
    # Progress only moves forward: step numbers and the bar's percentage never go back.
    shown = [all_text(call.params) for call in updates]
    steps = [int(m.group(1)) for text in shown if (m := re.search(r"step (\d) of 3", text))]
    percents = [int(m.group(1)) for text in shown if (m := re.search(r"` (\d+)%", text))]
    # Step 0 (the empty starting rules being scored) comes first, then each step.
    assert steps == sorted(steps) and set(steps) - {0} == {1, 2, 3}
    assert run.start is not None and run.start.step == 0
    assert percents == sorted(percents) and percents[-1] == 100
    final = shown[-1]
    assert "finished: 3 of 3 steps" in final
    assert "32 to train, 8 to test" in final
    assert f"{run.model_calls:,} model calls" in final

    # The report: scorecard per label, confusion matrix, rules per label, usage.
    report = "\n".join(all_text(m) for m in thread_messages(slack, handle.thread_ts))
    assert "Report for `hate`" in report
    assert re.search(r"True\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+", report)
    assert "Confusion matrix" in report and "true \\ predicted" in report
    assert "Rules for True" in report and "Rules for False" in report
    assert f"{run.model_calls:,} model calls" in report

    # The plot went through the external upload flow into the thread, and is a real PNG.
    assert slack.calls_to("files.getUploadURLExternal", ok_only=True)
    completed = slack.calls_to("files.completeUploadExternal", ok_only=True)
    assert len(completed) == 1
    assert completed[0].params["thread_ts"] == handle.thread_ts
    uploaded = completed[0].response["files"][0]["id"]
    png = slack.files[uploaded].content
    assert png.startswith(PNG_SIGNATURE)
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100

    # Every step saved a checkpoint version; the labeler is free to train again.
    labelers = LabelerStore(runtime.redis, WORKSPACE)
    versions = labelers.versions("hate")
    assert [v.step for v in versions] == [1, 2, 3]
    assert isinstance(versions[-1].checkpoint, LabelerCheckpoint)
    assert RunStore(runtime.redis, WORKSPACE).running_run_id("hate") is None


def test_the_test_rows_are_only_ever_classified_never_learned_from(
    runtime: TrainingRuntime, world: World
) -> None:
    model = runtime.services.models[runtime.services.settings.model_spec]
    assert isinstance(model, ScriptedModel)
    start_training(runtime.services, WORKSPACE, training_request(world.frame, seed=11))
    run_burst(runtime)

    from alignment.data import split_dataset

    _, test = split_dataset(world.frame, "isHate", 0.2, 11)
    test_texts = set(test["comment"])
    learned_from = [
        example_text(r.prompt) for r in model.requests if prompt_kind(r.prompt) != "classify"
    ]
    classified = {
        example_text(r.prompt) for r in model.requests if prompt_kind(r.prompt) == "classify"
    }
    assert learned_from and not test_texts & set(learned_from)
    assert test_texts <= classified  # measured on every test row for the reports
    # Concurrency: calls overlapped, never beyond the labeler's limit.
    assert 1 <= world.rule_world.peak_in_flight <= 4


def test_the_training_model_trains_and_the_main_model_evaluates(
    make_services: Any, make_runtime: Any, slack: SlackEmulator, world: World
) -> None:
    services = make_services(ALIGN_TRAIN_MODEL="gemini:trainer-model")
    trainer, evaluator = world.model(), world.model()
    services.models[services.settings.effective_train_model_spec] = trainer
    services.models[services.settings.model_spec] = evaluator
    runtime = make_runtime(services)
    start_training(services, WORKSPACE, training_request(world.frame, steps=1))
    run_burst(runtime)

    trainer_kinds = {prompt_kind(r.prompt) for r in trainer.requests}
    evaluator_kinds = {prompt_kind(r.prompt) for r in evaluator.requests}
    assert evaluator_kinds == {"classify"}
    assert "classify" not in trainer_kinds and "initial" in trainer_kinds


def _decoded(value: bytes) -> bytes:
    import zlib

    try:
        return zlib.decompress(value)
    except zlib.error:
        return value


def stored_values(raw: Any, key: bytes) -> list[bytes]:
    """Every value stored under ``key``, whatever its Redis type."""
    kind = raw.type(key)
    if kind == b"string":
        return [raw.get(key) or b""]
    if kind == b"hash":
        return list(raw.hgetall(key).values())
    if kind == b"list":
        return list(raw.lrange(key, 0, -1))
    if kind == b"set":
        return list(raw.smembers(key))
    if kind == b"zset":
        return list(raw.zrange(key, 0, -1))
    if kind == b"stream":
        return [value for _, fields in raw.xrange(key) for value in fields.values()]
    return []


def test_nothing_in_redis_is_pickled(runtime: TrainingRuntime, world: World) -> None:
    start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=2))
    raw: Any = runtime.rq_redis
    job_keys = [k for k in raw.keys("rq:job:*") if b":" not in k[len(b"rq:job:") :]]
    assert job_keys  # step 1 is queued
    queued = raw.hgetall(job_keys[0])
    func, instance, args, kwargs = json.loads(_decoded(queued[b"data"]))
    assert func == "bot.labelers.jobs.functions.run_step" and instance is None and args == []
    assert set(kwargs) == {"team_id", "enterprise_id", "labeler", "run_id", "step"}
    run_burst(runtime)

    for key in raw.keys("*"):
        for value in stored_values(raw, key):
            # Pickle protocol 2+ starts with 0x80; RQ compresses some fields with zlib first.
            assert not _decoded(value).startswith(b"\x80"), (key, value[:40])


def test_a_labeler_trains_once_at_a_time(runtime: TrainingRuntime, world: World) -> None:
    from bot.labelers.jobs.start import TrainingInProgressError

    start_training(runtime.services, WORKSPACE, training_request(world.frame))
    with pytest.raises(TrainingInProgressError, match="already training"):
        start_training(runtime.services, WORKSPACE, training_request(world.frame))
    run_burst(runtime)
    start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))


def test_a_prompt_name_cannot_become_a_labeler(
    runtime: TrainingRuntime, world: World, redis_client: redis.Redis
) -> None:
    from bot.labelers.store import LabelerNameTakenError
    from bot.prompts.store import PromptStore

    PromptStore(redis_client, WORKSPACE).create("hate", "Classify {text}", "U1")
    with pytest.raises(LabelerNameTakenError, match="prompt"):
        start_training(runtime.services, WORKSPACE, training_request(world.frame))
    assert not redis_client.keys("*training*") and not redis_client.keys("*dataset*")


def test_a_training_whose_message_cannot_be_posted_leaves_nothing_queued(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    from slack_sdk.errors import SlackApiError

    slack.fail_next("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        start_training(runtime.services, WORKSPACE, training_request(world.frame))
    assert runtime.queue().count == 0
    assert RunStore(runtime.redis, WORKSPACE).running_run_id("hate") is None
    start_training(runtime.services, WORKSPACE, training_request(world.frame))
    assert runtime.queue().count == 1
