"""A model helper that counts and times every call it passes on to the helper it wraps.

Everything else (``usage``, ``model_name``, ``base_url``...) is read from the wrapped helper, so
code holding the wrapper sees the helper it configured. The wrapper offers ``predict_json`` and
``predict_stream`` only when the wrapped helper does, so the library's checks for structured output
and streaming still tell the truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from alignment.model_helper import ModelHelper, SupportsStreaming, SupportsStructuredOutput
from bot.observability.metrics import MODEL_OK

# (model, outcome, seconds), e.g. BotMetrics.observe_model_call
CallObserver = Callable[[str, str, float], None]


class MeteredModel(ModelHelper):
    """Wraps ``inner``; each call is reported to ``observe`` under the label ``model``."""

    def __init__(
        self,
        inner: ModelHelper,
        model: str,
        observe: CallObserver,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.model_label = model
        self._observe = observe
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        # Only called for names the wrapper itself lacks.
        if name == "inner":  # not set yet (during copying): avoid endless recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    @contextmanager
    def _timed(self) -> Iterator[None]:
        started = self._clock()
        outcome = MODEL_OK
        try:
            yield
        except BaseException as error:
            # The error's class says what went wrong (rate limit, timeout, bad answer...).
            outcome = type(error).__name__
            raise
        finally:
            self._observe(self.model_label, outcome, self._clock() - started)

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        with self._timed():
            return self.inner.predict(
                prompt,
                temperature=temperature,
                stop_sequences=stop_sequences,
                candidate_count=candidate_count,
                max_output_tokens=max_output_tokens,
            )


class MeteredStructuredModel(MeteredModel):
    """A :class:`MeteredModel` around a helper that can answer in JSON."""

    def predict_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        temperature: float,
        max_output_tokens: int | None = None,
    ) -> str:
        assert isinstance(self.inner, SupportsStructuredOutput)
        with self._timed():
            return self.inner.predict_json(
                prompt, schema, temperature=temperature, max_output_tokens=max_output_tokens
            )


class MeteredStreamingModel(MeteredModel):
    """A :class:`MeteredModel` around a helper that streams its answers; a streamed call is
    timed from its request to the end of its answer."""

    def predict_stream(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        max_output_tokens: int | None = None,
    ) -> Iterator[str]:
        assert isinstance(self.inner, SupportsStreaming)
        with self._timed():
            yield from self.inner.predict_stream(
                prompt,
                temperature,
                stop_sequences=stop_sequences,
                max_output_tokens=max_output_tokens,
            )


class MeteredStreamingStructuredModel(MeteredStreamingModel, MeteredStructuredModel):
    """A :class:`MeteredModel` around a helper that streams and can answer in JSON."""


def metered(inner: ModelHelper, model: str, observe: CallObserver) -> MeteredModel:
    """``inner`` wrapped so each of its calls is counted and timed under ``model``."""
    structured = isinstance(inner, SupportsStructuredOutput)
    if isinstance(inner, SupportsStreaming):
        if structured:
            return MeteredStreamingStructuredModel(inner, model, observe)
        return MeteredStreamingModel(inner, model, observe)
    if structured:
        return MeteredStructuredModel(inner, model, observe)
    return MeteredModel(inner, model, observe)
