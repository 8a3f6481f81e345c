"""Shared pieces for the model helper tests: a clean environment and a retry policy that records."""

from __future__ import annotations

import pytest

from alignment._providers.retry import RetryPolicy

MODEL_ENV_VARS = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_CUSTOM_HEADERS",
)


def clear_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real keys or endpoints must never leak into a test."""
    for name in MODEL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


class RecordedSleeps(list[float]):
    """Collects the backoff waits instead of taking them."""

    def policy(self, max_attempts: int = 5) -> RetryPolicy:
        return RetryPolicy(max_attempts=max_attempts, base_delay=0.0, sleep=self.append)
