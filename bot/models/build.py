"""Model specs as the bot sees them: checking one at start-up and building its helper."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alignment._providers.base import ModelHelper
    from bot.config import Settings


def provider_of(spec: str) -> str:
    return spec.strip().partition(":")[0].strip().lower()


def spec_problem(spec: str) -> str | None:
    """Why ``spec`` cannot name a model, or None when it can (same grammar as model_from_spec)."""
    from alignment._providers.registry import VALID_FORMS

    provider, _, model = spec.strip().partition(":")
    provider = provider.strip().lower()
    if provider == "gemini" or (provider == "openai" and model.strip()):
        return None
    return f"{spec!r} names no model; use " + " or ".join(VALID_FORMS)


def build_model(spec: str, settings: Settings) -> ModelHelper:
    """The helper for ``spec``, with the key and endpoint from the settings (which may have come
    from ``.env`` rather than the process environment the helpers read by default)."""
    from alignment._providers.registry import model_from_spec

    if provider_of(spec) == "gemini":
        return model_from_spec(
            spec, api_key=settings.gemini_api_key, base_url=settings.google_gemini_base_url
        )
    return model_from_spec(spec, api_key=settings.openai_api_key, base_url=settings.openai_base_url)
