"""A requests-per-minute limit on model calls, shared by every bot process and worker via Redis.

Model services limit requests per minute per key, not per process, so with several bot processes
and workers each one counting on its own would overshoot the service's limit several times over.
Here every permit is granted by one Lua script on the shared Redis: a sliding window log, a
sorted set of the times of the permits granted in the last window. A request may go when fewer
than ``limit`` were granted in the window that ends now; otherwise the script says how long until
the oldest one leaves the window. The script runs atomically, so no two processes can both take
the last permit.

Time comes from the Redis server (``TIME``), so processes on machines whose clocks disagree
still share one window. Tests inject a clock instead.

The limiter fits ``alignment.model_helper.RequestGate``: model helpers call ``acquire()`` before
each request. If Redis cannot be reached the request goes ahead unpaced (and a warning is logged
once per outage): the model service's own 429 answers, which helpers retry with backoff, are the
safety net, and a rate limiter must not be what stops the bot from answering.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

MINUTE_SECONDS = 60.0
# A waiting caller re-asks at least this often, so it notices a window freed early (e.g. the
# key was deleted) and a long wait never turns into one unbroken sleep.
MAX_SLEEP_SECONDS = 1.0
# Spread callers woken by the same freed permit so they do not all ask at the same instant.
WAKE_JITTER_SECONDS = 0.02

# KEYS[1]: sorted set of grant times (ms). ARGV: limit, window (ms), unique member, now (ms)
# or "" to use the server's clock. Returns {granted 1|0, wait ms, now ms}.
_SLIDING_WINDOW_SCRIPT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now, now}
"""


@dataclass(frozen=True)
class Grant:
    """The answer to one request for a permit."""

    granted: bool
    wait_seconds: float  # until a permit may be free; 0 when granted
    at_ms: int  # the limiter's time of the answer, in milliseconds


class SharedRateLimit:
    """At most ``limit`` permits in any ``window_seconds``, across every process using ``key``."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        limit: int,
        window_seconds: float = MINUTE_SECONDS,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        self.key = key
        self.limit = limit
        self.window_ms = max(1, round(window_seconds * 1000))
        self._clock = clock
        self._sleep = sleep
        self._script = client.register_script(_SLIDING_WINDOW_SCRIPT)
        self._outage_reported = threading.Event()

    def try_acquire(self) -> Grant:
        """Take a permit if one is free now; never waits. Raises ``redis.RedisError``."""
        now = "" if self._clock is None else str(math.floor(self._clock() * 1000))
        granted, wait_ms, at_ms = self._script(
            keys=[self.key], args=[self.limit, self.window_ms, uuid.uuid4().hex, now]
        )
        return Grant(bool(int(granted)), max(0, int(wait_ms)) / 1000, int(at_ms))

    def acquire(self) -> None:
        """Wait until a permit is free and take it (``RequestGate``)."""
        self.wait_for_permit()

    def wait_for_permit(self) -> Grant | None:
        """Wait for a permit and take it; None when Redis could not be asked (no pacing)."""
        while True:
            try:
                grant = self.try_acquire()
            except redis.RedisError as error:
                self._report_outage(error)
                return None
            if self._outage_reported.is_set():
                self._outage_reported.clear()
                log.info("shared rate limit %s is back in force", self.key)
            if grant.granted:
                return grant
            self._sleep(min(grant.wait_seconds, MAX_SLEEP_SECONDS) + _jitter())

    def _report_outage(self, error: redis.RedisError) -> None:
        if not self._outage_reported.is_set():
            self._outage_reported.set()
            log.warning(
                "shared rate limit %s unavailable (%s); model requests go unpaced until "
                "Redis answers again",
                self.key,
                error,
            )


def _jitter() -> float:
    return random.uniform(0, WAKE_JITTER_SECONDS)
