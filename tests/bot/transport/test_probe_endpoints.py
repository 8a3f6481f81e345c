"""``/readyz`` reuses pooled Redis connections; ``/metrics`` can be locked with a bearer token."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

import redis

from bot.services import Services
from tests.fakes.bot_harness import InProcessBot

READYZ_HITS = 50
TOKEN = "metrics-scrape-token-for-tests"


def connections_received(client: redis.Redis) -> int:
    return int(client.info("stats")["total_connections_received"])


def test_readyz_does_not_open_a_connection_per_hit(
    in_process_bot: Callable[..., InProcessBot], redis_client: redis.Redis
) -> None:
    bot = in_process_bot()
    assert bot.get("/readyz").status == 200  # pools warmed up
    before = connections_received(redis_client)

    for _ in range(READYZ_HITS):
        assert bot.get("/readyz").status == 200

    # A few at most (another pool's first use), not one per hit.
    assert connections_received(redis_client) - before < 5


def _metrics(bot: InProcessBot, authorization: str | None) -> int:
    request = urllib.request.Request(f"{bot.base_url}/metrics")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_metrics_are_open_without_a_token_setting(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot()
    assert _metrics(bot, None) == 200


def test_metrics_need_the_bearer_token_when_one_is_set(
    in_process_bot: Callable[..., InProcessBot], make_services: Callable[..., Services]
) -> None:
    bot = in_process_bot(with_services=make_services(ALIGN_METRICS_TOKEN=TOKEN))

    assert _metrics(bot, None) == 401
    assert _metrics(bot, "Bearer wrong-token") == 401
    assert _metrics(bot, f"Basic {TOKEN}") == 401
    assert _metrics(bot, f"Bearer {TOKEN}") == 200
    # The probes stay open: the kubelet and compose's health check carry no token.
    assert bot.get("/healthz").status == 200
    assert bot.get("/readyz").status == 200


def test_the_metrics_token_is_kept_out_of_the_settings_repr(
    make_services: Callable[..., Services],
) -> None:
    settings = make_services(ALIGN_METRICS_TOKEN=TOKEN).settings
    assert settings.metrics_token == TOKEN
    assert TOKEN not in repr(settings)
