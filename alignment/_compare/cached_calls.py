"""Model calls through a pluggable answer cache, counted as made or reused, stoppable between calls.

A comparison is repeated often (after each change to a prompt), and most of its answers do not
change: the same version on the same example with the same model gives a reusable answer. The key
is the request itself (model identity, the full prompt as sent, temperature, and the other
settings), so a changed version, example or model misses the cache and everything else hits it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alignment._labeler.cache import ResponseCache, request_cache_key
from alignment._providers.base import ModelHelper, SupportsStructuredOutput, model_identity
from alignment.errors import TrainingCancelled


@dataclass
class CallCounts:
    """Model calls a comparison made, and requests its cache answered instead."""

    answers_made: int = 0
    answers_cached: int = 0
    judge_made: int = 0
    judge_cached: int = 0

    @property
    def made(self) -> int:
        return self.answers_made + self.judge_made

    def to_dict(self) -> dict[str, int]:
        return {
            "answers_made": self.answers_made,
            "answers_cached": self.answers_cached,
            "judge_made": self.judge_made,
            "judge_cached": self.judge_cached,
        }


class CallGate:
    """Counts calls under a lock, and refuses to start one once ``should_stop`` says so."""

    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self.counts = CallCounts()
        self._should_stop = should_stop
        self._lock = threading.Lock()

    def check(self) -> None:
        if self._should_stop is not None and self._should_stop():
            raise TrainingCancelled("the comparison was asked to stop; nothing was saved")

    def count(self, field: str) -> None:
        with self._lock:
            setattr(self.counts, field, getattr(self.counts, field) + 1)


def cache_key(helper: object, prompt: str, temperature: float, schema: Any = None) -> str:
    key = request_cache_key(model_identity(helper), prompt, temperature, None, 1, None)
    return key if schema is None else key + ":json"


def cached_answer(
    helper: ModelHelper,
    prompt: str,
    temperature: float,
    cache: ResponseCache,
    gate: CallGate,
    role: str,
) -> str:
    """``helper``'s answer to ``prompt``, from ``cache`` when it holds one; ``role`` names the
    counter (``answers`` or ``judge``)."""
    key = cache_key(helper, prompt, temperature)
    found = cache.get(key)
    if found is not None:
        gate.count(f"{role}_cached")
        return found
    gate.check()
    answer = helper.predict(prompt, temperature)
    text = answer[0] if isinstance(answer, list) else answer
    if text is None:
        raise ValueError("the model returned no answer")
    gate.count(f"{role}_made")
    cache.set(key, text)
    return text


class CachedJudge(ModelHelper):
    """A judge helper whose plain answers go through the cache and the gate."""

    def __init__(self, inner: ModelHelper, cache: ResponseCache, gate: CallGate) -> None:
        self.inner, self.cache, self.gate = inner, cache, gate

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str:
        return cached_answer(self.inner, prompt, temperature, self.cache, self.gate, "judge")


class CachedStructuredJudge(CachedJudge):
    """As ``CachedJudge``, for a helper that can constrain its answer to a JSON schema."""

    def predict_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        temperature: float,
        max_output_tokens: int | None = None,
    ) -> str:
        key = cache_key(self.inner, prompt, temperature, schema)
        found = self.cache.get(key)
        if found is not None:
            self.gate.count("judge_cached")
            return found
        self.gate.check()
        assert isinstance(self.inner, SupportsStructuredOutput)
        text = self.inner.predict_json(prompt, schema, temperature, max_output_tokens)
        self.gate.count("judge_made")
        self.cache.set(key, text)
        return text


def cached_judge(inner: ModelHelper, cache: ResponseCache, gate: CallGate) -> CachedJudge:
    if isinstance(inner, SupportsStructuredOutput):
        return CachedStructuredJudge(inner, cache, gate)
    return CachedJudge(inner, cache, gate)
