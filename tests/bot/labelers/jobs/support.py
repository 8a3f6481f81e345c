"""Helpers for training tests: a controllable clock, a pretend model world, request builders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bot.keys import Workspace
from bot.labelers.jobs.start import TrainingRequest
from tests.alignment.labeler_world import RuleWorld, hate_frame, truth_of
from tests.fakes.gemini_server import prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator

CHANNEL = "C0TRAINING"
USER = "U0TRAINER"
WORKSPACE = Workspace(TEAM_ID)
SMALL_HPARAMS = {
    "n_incorrect_predictions_to_sample": 2,
    "n_mutations_to_try": 2,
    "n_validation_examples": 16,
}


class FakeClock:
    """Time that moves only when told to (``advance``) or when someone sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))


def labelled_frame(size: int = 40) -> pd.DataFrame:
    """Comments with kw tokens; every third is hateful (True)."""
    return hate_frame(size)


@dataclass
class World:
    """The pretend model, with each call moving the clock on, and hooks for tests."""

    frame: pd.DataFrame
    clock: FakeClock
    seconds_per_call: float = 0.4
    latency: float = 0.0
    before_answer: Callable[[Request], None] | None = None
    rule_world: RuleWorld = field(init=False)

    def __post_init__(self) -> None:
        self.rule_world = RuleWorld(
            truth=truth_of(self.frame), fallback="False", latency=self.latency
        )

    def respond(self, request: Request) -> str:
        if self.before_answer is not None:
            self.before_answer(request)
        self.clock.advance(self.seconds_per_call)
        return self.rule_world(request)

    def model(self) -> ScriptedModel:
        return ScriptedModel(responder=self.respond)


@dataclass
class HeldAnswers:
    """A fake Gemini responder that holds every call until ``release`` is set, so a test can
    act while a step is under way; ``working`` is set once the first call arrives."""

    world: RuleWorld
    working: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, request: RecordedRequest) -> str:
        self.working.set()
        self.release.wait(30)
        return self.world.answer(prompt_text(request))


def training_request(frame: pd.DataFrame, **overrides: Any) -> TrainingRequest:
    values: dict[str, Any] = {
        "labeler": "hate",
        "frame": frame,
        "label": "isHate",
        "inputs": ["comment"],
        "task_description": "Is the comment hateful?",
        "channel": CHANNEL,
        "user": USER,
        "steps": 3,
        "seed": 7,
        "max_concurrency": 4,
        "hparams": SMALL_HPARAMS,
    }
    values.update(overrides)
    return TrainingRequest(**values)


def thread_messages(slack: SlackEmulator, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]


def all_text(message: dict[str, Any]) -> str:
    """A message's text and every text inside its blocks, joined."""
    parts = [str(message.get("text") or "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                parts.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
