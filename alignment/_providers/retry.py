"""Bounded retries with exponential backoff and full jitter, for transient model failures only.

Only ``ModelTransientError`` is retried (rate limits, 5xx, timeouts, lost connections); any other
``ModelError`` means retrying cannot help and goes straight to the caller. The SDKs' own retry
loops are switched off by the helpers, so ``max_attempts`` here is the only bound.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from alignment.errors import ModelTransientError, ModelUnavailableError

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    ``sleep`` and ``random`` are injectable so tests can record the waits instead of taking them.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays cannot be negative")

    def delay_before_retry(self, retry_number: int, server_hint: float | None) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry).

        Full jitter: a uniform draw below an exponentially growing ceiling, so many clients that
        failed together do not come back together. A server's own hint is a floor, because asking
        earlier than it said only earns another refusal; ``max_delay`` caps both.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        delay = self.random() * ceiling
        if server_hint is not None:
            delay = max(delay, server_hint)
        return min(delay, self.max_delay)


def call_with_retries(
    operation: Callable[[], T],
    policy: RetryPolicy,
    describe: str,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``operation``, retrying transient failures up to ``policy.max_attempts`` in total.

    ``describe`` names the target in log lines and in the final error (model and server).
    """
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return operation()
        except ModelTransientError as error:
            if attempt == policy.max_attempts:
                raise ModelUnavailableError(
                    f"{describe} still failing after {attempt} attempt(s); last error: {error}. "
                    "The service may be overloaded, rate limited or unreachable: try again later, "
                    "lower max_concurrent_calls, or check that the server address is right.",
                    attempts=attempt,
                    last_error=error,
                ) from error
            delay = policy.delay_before_retry(attempt, error.retry_after)
            logger.warning(
                "%s: attempt %d of %d failed (%s); retrying in %.2fs",
                describe,
                attempt,
                policy.max_attempts,
                error,
                delay,
            )
            if on_retry is not None:
                on_retry()
            policy.sleep(delay)
    raise AssertionError("unreachable: the loop either returns or raises")


def parse_retry_after(value: str | None) -> float | None:
    """Read an HTTP ``Retry-After`` header: delay seconds or an HTTP date. None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def parse_duration(value: object) -> float | None:
    """Read a protobuf Duration as JSON spells it (``"2.5s"``), as used by Gemini's RetryInfo."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return max(0.0, float(value[:-1]))
    except ValueError:
        return None
