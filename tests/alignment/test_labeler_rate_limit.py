"""``requests_per_minute`` through the labeler: every model call waits for its own start slot."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import pytest

from alignment._labeler import model_calls
from alignment._labeler.concurrency import RateLimiter
from alignment.labeler import Labeler
from tests.alignment.labeler_world import RuleWorld, hate_frame, truth_of
from tests.fakes.models import ScriptedModel

TASK = "Is the comment hateful?"


class FrozenClock:
    """Time that never moves on its own; records every wait the rate limiter asks for."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return 1000.0

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()

    def limiter_on_frozen_clock(requests_per_minute: float) -> RateLimiter:
        return RateLimiter(requests_per_minute, clock=frozen.now, sleep=frozen.sleep)

    monkeypatch.setattr(model_calls, "RateLimiter", limiter_on_frozen_clock)
    return frozen


def make_labeler(model: ScriptedModel, **options: Any) -> Labeler:
    return Labeler(
        ["comment"],
        "isHate",
        [True, False],
        TASK,
        model,
        model,
        hparams={"n_validation_examples": 12},
        seed=5,
        max_concurrency=8,
        **options,
    )


def test_a_training_step_gives_each_model_call_its_own_start_slot(clock: FrozenClock) -> None:
    frame = hate_frame(30)
    model = RuleWorld(truth=truth_of(frame), fallback="False").model()
    maker = make_labeler(model, requests_per_minute=120)
    maker.train_step(maker.initialize_checkpoint(frame), frame)

    calls = len(model.requests)
    assert calls > 8  # more calls than call slots, so the limit, not the pool, spaces them
    assert maker.stats.model_calls == calls
    # With time standing still, call k waits k slots of 60 / 120 s: all calls were spaced, none
    # skipped the limiter, and none took a slot twice.
    assert sorted(clock.waits) == pytest.approx([0.5 * k for k in range(1, calls)])


def test_answers_from_the_cache_take_no_start_slot(clock: FrozenClock) -> None:
    frame = hate_frame(30)
    model = RuleWorld(truth=truth_of(frame), fallback="False").model()
    maker = make_labeler(model, requests_per_minute=60)
    rows = pd.concat([frame.head(5), frame.head(5)], ignore_index=True)
    checkpoint = maker.initialize_checkpoint(frame)
    calls_before = len(model.requests)
    predictions = maker.infer_checkpoint(checkpoint, rows)

    assert [p["prediction"] for p in predictions[:5]] == [p["prediction"] for p in predictions[5:]]
    assert len(model.requests) - calls_before == 5
    assert maker.stats.cache_hits == 5
    assert sorted(clock.waits) == pytest.approx([1.0 * k for k in range(1, len(model.requests))])


def test_the_limit_is_kept_in_the_settings_and_applies_after_a_reload(clock: FrozenClock) -> None:
    frame = hate_frame(30)
    model = RuleWorld(truth=truth_of(frame), fallback="False").model()
    settings = make_labeler(model, requests_per_minute=30).settings_dict()
    reloaded = Labeler.from_settings(settings, model, model)
    reloaded.infer_checkpoint(reloaded.initialize_checkpoint(frame), frame.head(6))

    assert reloaded.requests_per_minute == 30
    assert sorted(clock.waits) == pytest.approx([2.0 * k for k in range(1, len(model.requests))])
