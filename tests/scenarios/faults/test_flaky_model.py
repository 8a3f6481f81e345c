"""The model fails 30 % of the time (429, 503, timeouts): every run, piece of feedback and
training step either completes or tells the person it failed, nothing hangs, and what is stored
matches what people were told.

The product's app runs in-process over real HTTP; its model is the real Gemini helper talking to
a fake Gemini server that fails on purpose, with a short timeout and quick retries so a test
takes seconds rather than the minutes the production defaults would allow.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis

from alignment._providers.gemini import GeminiModelHelper
from alignment._providers.retry import RetryPolicy
from bot.app import register_product as product_listeners
from bot.config import Settings
from bot.feedback import views as feedback_views
from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FAILED, FINISHED
from bot.labelers.run_state import RunStore as TrainingRuns
from bot.labelers.store import LabelerStore
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.redis_conn import RedisConnection
from bot.services import Services
from tests.alignment.labeler_world import RuleWorld, truth_of
from tests.bot.labelers.jobs.support import WORKSPACE, labelled_frame, training_request
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.gemini_server import FakeGemini, GeminiReply, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import (
    FEEDBACK_MARKERS,
    Teammate,
    message_text,
    model_answer,
    thread_messages,
    with_action,
)

FAILURE_SHARE = 0.3
TIMEOUT_SECONDS = 0.4
HELD_TOO_LONG_SECONDS = 1.2  # a "timeout" answer comes after the helper stopped waiting
RUNS = 8
PIECES = 10
# Requests about these fail every time, on top of the 30 %: each failure path is sure to be taken.
ALWAYS_FAILING = ("thing3", "point 3")


@dataclass
class FlakyModel:
    """Answers like a cooperative model, except that 30 % of requests fail once faults are on."""

    faults_on: bool = False
    failures: dict[str, int] = field(default_factory=lambda: {"429": 0, "503": 0, "timeout": 0})
    answered: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(7))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _world: RuleWorld = field(
        default_factory=lambda: RuleWorld(truth=truth_of(labelled_frame()), fallback="False")
    )

    def answer_text(self, prompt: str) -> str:
        if any(marker in prompt for marker in FEEDBACK_MARKERS):
            return model_answer(prompt)
        return self._world.answer(prompt)

    def __call__(self, request: RecordedRequest) -> GeminiReply:
        prompt = prompt_text(request)
        text = self.answer_text(prompt)
        doomed = any(marker in prompt for marker in ALWAYS_FAILING)
        with self._lock:
            fail = self.faults_on and (doomed or self._random.random() < FAILURE_SHARE)
            kind = self._random.choice(("429", "503", "timeout")) if fail else None
            if kind:
                self.failures[kind] += 1
            else:
                self.answered += 1
        if kind == "429":
            return GeminiReply(status=429, message="Resource has been exhausted")
        if kind == "503":
            return GeminiReply(status=503, message="The model is overloaded")
        if kind == "timeout":
            return GeminiReply(text=text, delay=HELD_TOO_LONG_SECONDS)
        return GeminiReply(text=text)


@pytest.fixture
def flaky() -> Iterator[tuple[FlakyModel, FakeGemini]]:
    model = FlakyModel()
    with FakeGemini(responder=model) as server:
        yield model, server


@pytest.fixture
def flaky_services(
    make_settings: Callable[..., Settings],
    redis_url: str,
    redis_client: redis.Redis,
    flaky: tuple[FlakyModel, FakeGemini],
) -> Iterator[Services]:
    _, server = flaky
    settings = make_settings(**server.env)
    services = Services(settings=settings, redis_connection=RedisConnection(redis_url))
    # The product's Gemini helper, with a short timeout and quick retries (3 attempts).
    services.models[settings.model_spec] = GeminiModelHelper(
        api_key=server.env["GEMINI_API_KEY"],
        base_url=server.url,
        timeout=TIMEOUT_SECONDS,
        retry=RetryPolicy(max_attempts=3, base_delay=0.05, max_delay=0.2),
    )
    yield services
    services.close()


def saved_runs(client: redis.Redis, slack: SlackEmulator) -> list[RunRecord]:
    store = RunStore(client, Workspace(TEAM_ID))
    found = []
    for message in slack.channel_messages(CHANNEL):
        if not message.get("thread_ts") or message["thread_ts"] == message["ts"]:
            run = store.run_in_thread(CHANNEL, message["ts"])
            if run is not None:
                found.append(run)
    return found


def test_runs_and_feedback_complete_or_say_they_failed(
    flaky: tuple[FlakyModel, FakeGemini],
    flaky_services: Services,
    in_process_bot: Callable[..., InProcessBot],
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    model, _ = flaky
    bot = in_process_bot(product_listeners, with_services=flaky_services)
    workspace = Workspace(TEAM_ID)
    with ResponseUrlServer() as responses:
        ana = Teammate(bot, responses, "U0ANA")
        assert "version 1" in ana.ask("new uses Give three uses for {item}.")
        ana.send("run uses item=scissors")  # one sure run to give feedback on
        [first] = wait_until(lambda: saved_runs(redis_client, slack), 15, what="the first run")

        model.faults_on = True
        before_runs = len(responses.replies)
        people = [Teammate(bot, responses, f"U0R{n:02d}") for n in range(RUNS)]
        with ThreadPoolExecutor(max_workers=RUNS) as pool:
            list(pool.map(lambda n: people[n].send(f"run uses item=thing{n}"), range(RUNS)))

        def runs_settled() -> tuple[list[RunRecord], list[str]] | None:
            runs = [r for r in saved_runs(redis_client, slack) if r.run_id != first.run_id]
            told = [message_text(r) for r in responses.replies[before_runs:]]
            return (runs, told) if len(runs) + len(told) >= RUNS else None

        runs, told = wait_until(runs_settled, 60, what=f"{RUNS} runs to end one way or the other")
        assert len(runs) + len(told) == RUNS
        assert told and runs  # both endings happened
        assert all("The model failed" in text and "Nothing was saved" in text for text in told)
        # A saved run has every answer posted; a failed one left no run behind.
        assert all(run.messages and run.answers for run in runs)
        # Each failed run's root message says so; no root is left looking like it is working.
        failed_roots = {
            c.params["ts"]
            for c in slack.calls_to("chat.update", ok_only=True)
            if str(c.params.get("text", "")).endswith(") failed")
        }
        assert len(failed_roots) == len(told)

        # Feedback from many people at once on the first run.
        critics = [Teammate(bot, responses, f"U0F{n:02d}") for n in range(PIECES)]
        with ThreadPoolExecutor(max_workers=PIECES) as pool:
            statuses = list(
                pool.map(
                    lambda n: critics[n].reply(first.thread_ts, f"critique: point {n}").status,
                    range(PIECES),
                )
            )
        assert statuses == [200] * PIECES

        def feedback_settled() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
            messages = thread_messages(slack, first.thread_ts)
            landed = [m for m in messages if with_action(m, feedback_views.UNDO_ACTION)]
            refused = [m for m in messages if "changed nothing" in message_text(m)]
            return (landed, refused) if len(landed) + len(refused) >= PIECES else None

        landed, refused = wait_until(feedback_settled, 60, what="every piece of feedback to end")
    assert len(landed) + len(refused) == PIECES
    assert landed and refused
    assert all("Try again" in message_text(m) for m in refused)

    # What is stored is exactly what people were told landed.
    store = PromptStore(redis_client, workspace)
    assert len(store.versions("uses")) == 1 + len(landed)
    principles = store.current("uses").prompt.principles
    assert len(principles) == len(landed)
    told_landed = {n for n in range(PIECES) for m in landed if f"point {n}" in message_text(m)}
    assert {p.removeprefix("Follow this: point ") for p in principles} == {
        str(n) for n in told_landed
    }
    assert sum(model.failures.values()) > 0  # the faults really happened


def test_a_training_run_finishes_or_says_why_it_stopped(
    flaky: tuple[FlakyModel, FakeGemini],
    flaky_services: Services,
    slack: SlackEmulator,
) -> None:
    model, _ = flaky
    model.faults_on = True
    runtime = TrainingRuntime(flaky_services, TrainingConfig(lease_seconds=5.0))
    handle = start_training(
        flaky_services, WORKSPACE, training_request(labelled_frame(), steps=3), runtime=runtime
    )

    run_burst(runtime)  # returns once no step is left: nothing hangs

    runs = TrainingRuns(flaky_services.redis, WORKSPACE)
    run = runs.load(handle.run_id)
    assert run is not None and run.status in (FINISHED, FAILED)
    said = " ".join(
        message_text(m) for m in slack.channel_messages(handle.channel) if m.get("thread_ts")
    )
    if run.status == FAILED:
        assert "Training stopped during step" in said
    else:
        assert run.steps_done == 3
    # One checkpoint per finished step, and the labeler is free to be trained again.
    assert len(LabelerStore(flaky_services.redis, WORKSPACE).versions("hate")) == run.steps_done
    assert runs.running_run_id("hate") is None
    assert sum(model.failures.values()) > 0
