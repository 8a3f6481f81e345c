"""A model helper that runs with a prompt version's own temperature and answer length.

The library's single-run prompt picks its temperature per call (one answer, or spread-out
candidates) and sets no length cap; a version's settings replace those where they are set.
Everything else is read from the wrapped helper, as ``bot.models.metered`` does.
"""

from __future__ import annotations

from typing import Any

from alignment.model_helper import ModelHelper


class TunedModel(ModelHelper):
    """``inner`` with ``temperature`` and ``max_output_tokens`` fixed where they are not None."""

    def __init__(
        self, inner: ModelHelper, temperature: float | None, max_output_tokens: int | None
    ) -> None:
        self.inner = inner
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (during copying): avoid endless recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        return self.inner.predict(
            prompt,
            temperature=temperature if self.temperature is None else self.temperature,
            stop_sequences=stop_sequences,
            candidate_count=candidate_count,
            max_output_tokens=(
                max_output_tokens if self.max_output_tokens is None else self.max_output_tokens
            ),
        )


def tuned(inner: ModelHelper, temperature: float | None, max_tokens: int | None) -> ModelHelper:
    """``inner`` itself when nothing is to change, else wrapped."""
    if temperature is None and max_tokens is None:
        return inner
    return TunedModel(inner, temperature, max_tokens)
