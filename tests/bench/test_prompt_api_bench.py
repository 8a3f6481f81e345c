"""The prompt API benchmark's plumbing on a small load: every request answered 200 and counted,
for both endpoints (no timing is asserted)."""

from __future__ import annotations

from collections.abc import Callable

import prompt_api
import redis

from bot.api.routes import PromptApi
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot


def test_measure_counts_every_request_of_both_endpoints(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    redis_url: str,
    redis_client: redis.Redis,
) -> None:
    key = prompt_api.seed(redis_url)
    services = make_services()
    bot = in_process_bot(with_services=services, api=PromptApi(services.redis, 10**6))
    summary = prompt_api.measure(services.settings.port, key, requests=40, clients=4, rounds=2)
    assert summary["healthz"]["requests"] == summary["prompt"]["requests"] == 80
    assert summary["prompt"]["p99_ms"] >= summary["prompt"]["p50_ms"] > 0
    assert summary["p99_ratio"] > 0
    lines: list[str] = []
    prompt_api.report(summary, 4, lines.append)
    assert any("p99 prompt / healthz" in line for line in lines)
    assert bot.get("/healthz").status == 200
