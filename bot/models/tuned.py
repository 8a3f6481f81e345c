"""A model helper that runs with a prompt version's own temperature and answer length.

The library's single-run prompt picks its temperature per call (one answer, or spread-out
candidates) and sets no length cap; a version's settings replace those where they are set.
Everything else is read from the wrapped helper, as ``bot.models.metered`` does, and a helper
that streams still streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from alignment.model_helper import ModelHelper, SupportsStreaming


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

    def _temperature(self, asked: float) -> float:
        return asked if self.temperature is None else self.temperature

    def _length(self, asked: int | None) -> int | None:
        return asked if self.max_output_tokens is None else self.max_output_tokens

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
            temperature=self._temperature(temperature),
            stop_sequences=stop_sequences,
            candidate_count=candidate_count,
            max_output_tokens=self._length(max_output_tokens),
        )


class TunedStreamingModel(TunedModel):
    """A :class:`TunedModel` around a helper that streams its answers."""

    def predict_stream(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        max_output_tokens: int | None = None,
    ) -> Iterator[str]:
        assert isinstance(self.inner, SupportsStreaming)
        yield from self.inner.predict_stream(
            prompt,
            self._temperature(temperature),
            stop_sequences=stop_sequences,
            max_output_tokens=self._length(max_output_tokens),
        )


def tuned(inner: ModelHelper, temperature: float | None, max_tokens: int | None) -> ModelHelper:
    """``inner`` itself when nothing is to change, else wrapped (streaming if ``inner`` does)."""
    if temperature is None and max_tokens is None:
        return inner
    if isinstance(inner, SupportsStreaming):
        return TunedStreamingModel(inner, temperature, max_tokens)
    return TunedModel(inner, temperature, max_tokens)
