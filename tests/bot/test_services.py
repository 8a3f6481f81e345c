from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.redis_conn import RedisConnection
from bot.services import Services


def build(settings: Settings, redis_url: str) -> Services:
    return Services(settings=settings, redis_connection=RedisConnection(redis_url))


def test_models_are_built_on_first_use_from_the_settings(
    make_settings: Callable[..., Settings], redis_url: str, fake_gemini: Any
) -> None:
    settings = make_settings(**fake_gemini.env)
    services = build(settings, redis_url)
    try:
        assert services.models == {}  # nothing built (and no client made) at start-up

        model = services.prompt_model

        assert model.base_url == fake_gemini.url  # type: ignore[attr-defined]
        assert model.model_name == "gemini-2.5-flash"  # type: ignore[attr-defined]
        # Without ALIGN_ALIGNMENT_MODEL both roles share one helper (and its usage counts).
        assert services.alignment_model is model
        fake_gemini.queue("an answer over the wire")
        assert model.predict("say something", 0.0) == "an answer over the wire"
    finally:
        services.close()


def test_alignment_model_has_its_own_spec_when_set(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    settings = make_settings(
        ALIGN_ALIGNMENT_MODEL="openai:llama3.1", OPENAI_BASE_URL="http://127.0.0.1:9/v1"
    )
    services = build(settings, redis_url)
    try:
        assert services.alignment_model is not services.prompt_model
        assert services.alignment_model.model_name == "llama3.1"  # type: ignore[attr-defined]
        assert services.alignment_model.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    finally:
        services.close()


def test_web_client_talks_to_the_configured_api_with_retries(services: Services) -> None:
    client = services.web_client

    assert client.base_url == services.settings.slack_api_url
    assert client.token == services.settings.slack_bot_token
    assert {type(h).__name__ for h in client.retry_handlers} == {
        "ConnectionErrorRetryHandler",
        "RateLimitErrorRetryHandler",
    }
    assert client.auth_test()["user_id"] == "U0ALIGNBOT"
