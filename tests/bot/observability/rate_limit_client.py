"""One process taking permits from a shared rate limit, for the tests that run two at once.

    python -m tests.bot.observability.rate_limit_client REDIS_URL KEY LIMIT WINDOW_SECONDS PHASE...

Each PHASE is ``try:ATTEMPTS@CLOCK_MS`` (that many non-waiting attempts with the clock frozen at
CLOCK_MS) or ``wait:PERMITS`` (that many waiting acquires on the server's clock). Before each
phase the process waits for the test to open it (a token on ``KEY:go:N``), so both processes
start together; after it, it reports the grant times it got on ``KEY:done:N`` as JSON.
"""

from __future__ import annotations

import json
import sys

import redis

from bot.models.rate_limit import SharedRateLimit

GO_TIMEOUT_SECONDS = 30


def run_phase(client: redis.Redis, key: str, limit: int, window: float, phase: str) -> list[int]:
    mode, _, spec = phase.partition(":")
    if mode == "try":
        attempts, _, clock_ms = spec.partition("@")
        frozen = SharedRateLimit(client, key, limit, window, clock=lambda: int(clock_ms) / 1000)
        grants = (frozen.try_acquire() for _ in range(int(attempts)))
        return [grant.at_ms for grant in grants if grant.granted]
    if mode == "wait":
        limiter = SharedRateLimit(client, key, limit, window)
        times = []
        for _ in range(int(spec)):
            grant = limiter.wait_for_permit()
            if grant is None:
                raise SystemExit("Redis went away")
            times.append(grant.at_ms)
        return times
    raise SystemExit(f"unknown phase {phase!r}")


def main(argv: list[str]) -> int:
    url, key, limit, window, *phases = argv
    client = redis.Redis.from_url(url, decode_responses=True)
    for number, phase in enumerate(phases):
        if client.blpop([f"{key}:go:{number}"], timeout=GO_TIMEOUT_SECONDS) is None:
            raise SystemExit(f"phase {number} was never opened")
        times = run_phase(client, key, int(limit), float(window), phase)
        client.rpush(f"{key}:done:{number}", json.dumps(times))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
