from __future__ import annotations

import email.utils
import time

import pytest

from alignment._providers.retry import (
    RetryPolicy,
    call_with_retries,
    parse_duration,
    parse_retry_after,
)
from alignment.errors import (
    ModelRequestError,
    ModelTransientError,
    ModelUnavailableError,
)


class FlakyOperation:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def test_full_jitter_draws_below_an_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.5)
    delays = [policy.delay_before_retry(n, None) for n in range(1, 6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0]


def test_jitter_draw_scales_the_wait() -> None:
    low = RetryPolicy(base_delay=2.0, random=lambda: 0.1)
    high = RetryPolicy(base_delay=2.0, random=lambda: 0.9)
    assert low.delay_before_retry(3, None) == pytest.approx(0.8)
    assert high.delay_before_retry(3, None) == pytest.approx(7.2)


def test_server_hint_is_a_floor_and_max_delay_a_ceiling() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0, random=lambda: 0.0)
    assert policy.delay_before_retry(1, 4.0) == 4.0
    assert policy.delay_before_retry(1, 300.0) == 30.0


def test_transient_failures_are_retried_until_success() -> None:
    sleeps: list[float] = []
    retries: list[None] = []
    operation = FlakyOperation(ModelTransientError("busy"), ModelTransientError("busy", 2.0))
    policy = RetryPolicy(base_delay=0.0, sleep=sleeps.append)
    result = call_with_retries(
        operation, policy, "test model", on_retry=lambda: retries.append(None)
    )
    assert result == "answer"
    assert operation.calls == 3
    assert sleeps == [0.0, 2.0]
    assert len(retries) == 2


def test_gives_up_after_the_bound_and_says_how_many_attempts() -> None:
    operation = FlakyOperation(*(ModelTransientError(f"busy {n}") for n in range(10)))
    policy = RetryPolicy(max_attempts=4, base_delay=0.0, sleep=lambda _: None)
    with pytest.raises(ModelUnavailableError) as raised:
        call_with_retries(operation, policy, "test model")
    assert operation.calls == 4
    assert raised.value.attempts == 4
    assert "4 attempt" in str(raised.value)
    assert "busy 3" in str(raised.value.last_error)


def test_other_errors_are_raised_at_once() -> None:
    sleeps: list[float] = []
    operation = FlakyOperation(ModelRequestError("bad temperature"))
    policy = RetryPolicy(base_delay=0.0, sleep=sleeps.append)
    with pytest.raises(ModelRequestError):
        call_with_retries(operation, policy, "test model")
    assert operation.calls == 1
    assert sleeps == []


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0.25", 0.25), (" 3 ", 3.0), ("-5", 0.0), ("", None), ("soon", None)],
)
def test_retry_after_seconds(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_http_date() -> None:
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    parsed = parse_retry_after(in_a_minute)
    assert parsed is not None
    assert 50 < parsed <= 60
    assert parse_retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0.0


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("2s", 2.0), ("0.5s", 0.5), ("37.120s", 37.12), ("2", None), ("xs", None), (None, None)],
)
def test_protobuf_duration(duration: object, seconds: float | None) -> None:
    assert parse_duration(duration) == seconds
