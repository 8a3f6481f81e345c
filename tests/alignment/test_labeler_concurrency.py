"""The worker pool, ordered parallel map, rate limiter, response cache and call bookkeeping."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from alignment._labeler.cache import InMemoryResponseCache, ResponseCache, request_cache_key
from alignment._labeler.concurrency import RateLimiter, WorkerPool, parallel_map
from alignment._labeler.model_calls import (
    CallSession,
    ModelCaller,
    ModelRequest,
    _OperationAborted,
)
from alignment.errors import LabelerModelError, ModelError, TrainingCancelled
from tests.fakes.models import Request, ScriptedModel


def test_parallel_map_keeps_input_order_and_overlaps_calls() -> None:
    running = peak = 0
    lock = threading.Lock()

    def slow_square(x: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.005 * (5 - x % 5))  # later items finish first
        with lock:
            running -= 1
        return x * x

    assert parallel_map(slow_square, range(20), max_workers=4) == [x * x for x in range(20)]
    assert 1 < peak <= 4


def test_parallel_map_raises_the_first_failure_in_input_order() -> None:
    def check(x: int) -> int:
        if x in (3, 7):
            raise ValueError(f"bad {x}")
        return x

    with pytest.raises(ValueError, match="bad 3"):
        parallel_map(check, range(10), max_workers=3)


def test_pool_runs_higher_priority_tasks_first_then_in_submission_order() -> None:
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(5)

    with WorkerPool(1) as pool:
        first = pool.submit(blocker)
        started.wait(5)
        futures = [
            pool.submit(lambda: order.append("score-1"), priority=2),
            pool.submit(lambda: order.append("score-2"), priority=2),
            pool.submit(lambda: order.append("chain"), priority=0),
        ]
        release.set()
        for future in [first, *futures]:
            future.result(5)
    assert order == ["chain", "score-1", "score-2"]


def test_cancel_pending_stops_queued_tasks_but_not_running_ones() -> None:
    started = threading.Event()
    release = threading.Event()

    def hold() -> bool:
        started.set()
        return release.wait(5)

    with WorkerPool(1) as pool:
        running = pool.submit(hold)
        started.wait(5)
        queued = [pool.submit(lambda: "never") for _ in range(3)]
        assert pool.cancel_pending() == 3
        release.set()
        assert running.result(5) is True
    assert all(future.cancelled() for future in queued)


def test_rate_limiter_spaces_start_times_evenly() -> None:
    now = [100.0]
    limiter = RateLimiter(requests_per_minute=120, clock=lambda: now[0])
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0.0, 0.5, 1.0])
    now[0] += 5.0  # idle time is not saved up into a burst beyond one call
    assert [limiter.reserve() for _ in range(2)] == pytest.approx([0.0, 0.5])


def test_cache_key_changes_with_every_parameter_that_shapes_an_answer() -> None:
    def key(**changes: object) -> str:
        parts: dict[str, Any] = {
            "model": "model-a",
            "prompt": "prompt",
            "temperature": 0.1,
            "stop_sequences": ["\n"],
            "candidate_count": 1,
            "max_output_tokens": 16,
        }
        parts.update(changes)
        return request_cache_key(**parts)

    keys = {
        key(),
        key(model="model-b"),
        key(prompt="prompt!"),
        key(temperature=0.2),
        key(stop_sequences=None),
        key(candidate_count=2),
        key(max_output_tokens=17),
    }
    assert len(keys) == 7
    assert key() == key()
    assert isinstance(InMemoryResponseCache(), ResponseCache)


def test_caller_sends_an_identical_request_once_even_when_asked_concurrently() -> None:
    gate = threading.Event()

    def answer(request: Request) -> str:
        gate.wait(5)
        return "yes"

    model = ScriptedModel(responder=answer)
    caller = ModelCaller(InMemoryResponseCache())
    request = ModelRequest("same question", 0.1, ("\n",), 8)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(caller.call(model, request, "asking")))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == ["yes"] * 5
    assert len(model.requests) == 1
    assert caller.stats.model_calls == 1
    assert caller.stats.cache_hits == 4
    caller.call(model, request, "asking")
    assert len(model.requests) == 1


def test_failed_call_names_its_purpose_and_the_model_and_is_a_model_error() -> None:
    def broken(request: Request) -> str:
        raise ConnectionError("connection refused")

    caller = ModelCaller(InMemoryResponseCache())
    with pytest.raises(LabelerModelError) as raised:
        caller.call(ScriptedModel(responder=broken), ModelRequest("q", 0.1), "classifying row 4")
    message = str(raised.value)
    assert "classifying row 4 failed" in message
    assert "ScriptedModel:scripted" in message
    assert "ConnectionError: connection refused" in message
    assert isinstance(raised.value, ModelError)
    assert isinstance(raised.value.__cause__, ConnectionError)


def test_should_stop_is_checked_before_each_call() -> None:
    stop = False
    caller = ModelCaller(InMemoryResponseCache(), should_stop=lambda: stop)
    model = ScriptedModel(responder=lambda request: "ok")
    assert caller.call(model, ModelRequest("one", 0.1), "asking") == "ok"
    stop = True
    with pytest.raises(TrainingCancelled):
        caller.call(model, ModelRequest("two", 0.1), "asking")
    assert len(model.requests) == 1


def test_session_fails_fast_and_cancels_queued_calls() -> None:
    def answer(request: Request) -> str:
        if request.prompt == "bad":
            raise RuntimeError("boom")
        time.sleep(0.01)
        return "ok"

    model = ScriptedModel(responder=answer)
    session = CallSession(ModelCaller(InMemoryResponseCache()), max_concurrency=1)
    bad = session.submit(model, ModelRequest("bad", 0.1), "first", lambda a: a, priority=0)
    later = [
        session.submit(model, ModelRequest(f"q{i}", 0.1), "later", lambda a: a, priority=1)
        for i in range(20)
    ]
    with pytest.raises(LabelerModelError, match="first failed"):
        bad.result(5)
    session.close()
    assert session.failed
    # A queued call either is cancelled before a worker takes it or, taken in the moment between
    # the failure and the cancelling, refuses to start; neither reaches the model.
    answered = [f for f in later if not f.cancelled() and f.exception() is None]
    refused = [
        f for f in later if not f.cancelled() and isinstance(f.exception(), _OperationAborted)
    ]
    assert len(model.requests) < 5
    assert len(answered) == len(model.requests) - 1
    assert len(answered) + len(refused) + sum(f.cancelled() for f in later) == len(later)
    with pytest.raises(LabelerModelError, match="first failed"):
        session.raise_failure()


def test_cache_outage_costs_calls_not_the_run(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenCache:
        def get(self, key: str) -> str | None:
            raise OSError("cache down")

        def set(self, key: str, value: str) -> None:
            raise OSError("cache down")

    caller = ModelCaller(BrokenCache())
    model = ScriptedModel(responder=lambda request: "ok")
    assert caller.call(model, ModelRequest("q", 0.1), "asking") == "ok"
    assert "response cache read failed" in caplog.text
