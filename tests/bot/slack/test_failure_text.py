"""Failures told to people name a provider by its host, never by its credentials."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.observability.redaction import Redactor
from bot.slack.failure_text import failure_reason

LEAKY = "could not reach http://svc:PASSWORD@llm.internal:8080/v1/chat?key=abc123&trace=1 (503)"


def test_a_model_failure_shows_the_host_and_path_only() -> None:
    told = failure_reason(ConnectionError(LEAKY))
    assert told == "could not reach http://llm.internal:8080/v1/chat (503)"


@pytest.mark.parametrize(
    "url",
    [
        "http://user:PASSWORD@proxy:3128/v1",
        "https://PASSWORD@api.example.com/v1",
        "rediss://default:PASSWORD@cache:6380/0",
    ],
)
def test_the_log_masks_user_info_in_any_url(url: str) -> None:
    assert "PASSWORD" not in Redactor()(f"calling {url} failed")
    assert "[redacted]@" in Redactor()(f"calling {url} failed")


def test_settings_never_print_a_password_in_a_base_url() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
            "SLACK_SIGNING_SECRET": "s" * 32,
            "SLACK_APP_TOKEN": "xapp-1-abc",
            "OPENAI_BASE_URL": "http://svc:PASSWORD@llm.internal:8080/v1?token=abc",
            "ALIGN_MODEL": "openai:llama3.1",
            "OPENAI_API_KEY": "local",
        },
        dotenv_path=None,
    )
    shown = repr(settings)
    assert "PASSWORD" not in shown and "token=abc" not in shown
    assert "http://llm.internal:8080/v1" in shown
