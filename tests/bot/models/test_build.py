"""The bot builds model helpers through the library's provider registry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from alignment.model_helper import PROVIDERS
from bot.config import Settings
from bot.models.build import build_model
from tests.alignment.model_test_support import clear_model_env

BOTH_KEYS = Settings(
    slack_bot_token="xoxb-1",
    slack_signing_secret="secret",
    gemini_api_key="gemini-key",
    google_gemini_base_url="http://127.0.0.1:7/gemini",
    openai_api_key="openai-key",
    openai_base_url="http://127.0.0.1:8/v1",
)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str | None, str | None]]:
    """Record what each provider's factory is handed, then build the real helper."""
    clear_model_env(monkeypatch)
    calls: list[tuple[str, str, str | None, str | None]] = []
    for name, provider in list(PROVIDERS.items()):

        def record(
            model_name: str,
            api_key: str | None,
            base_url: str | None,
            *,
            _name: str = name,
            _build: Any = provider.build,
            **options: Any,
        ) -> Any:
            calls.append((_name, model_name, api_key, base_url))
            return _build(model_name, api_key, base_url, **options)

        monkeypatch.setitem(PROVIDERS, name, replace(provider, build=record))
    return calls


def test_a_gemini_spec_never_receives_the_openai_key(
    built: list[tuple[str, str, str | None, str | None]],
) -> None:
    build_model("gemini:gemini-2.5-pro", BOTH_KEYS)
    assert built == [("gemini", "gemini-2.5-pro", "gemini-key", "http://127.0.0.1:7/gemini")]


def test_an_openai_spec_never_receives_the_gemini_key(
    built: list[tuple[str, str, str | None, str | None]],
) -> None:
    helper = build_model("openai:llama3.1", BOTH_KEYS)
    assert built == [("openai", "llama3.1", "openai-key", "http://127.0.0.1:8/v1")]
    assert helper.model_name == "llama3.1"  # type: ignore[attr-defined]
