"""A cache of model answers, so that no identical request is paid for twice.

The labeler caches every answer it receives during a run, sampled ones included: within a run
the same request only recurs when the same question is asked about the same checkpoint (the
current checkpoint re-scored on the validation rows, a rule change proposed twice), and reusing
the first answer both saves the call and keeps the run reproducible. A cache shared between runs
(the bot keeps one in Redis) should therefore be scoped to one training run, unless replaying
earlier sampled answers is what is wanted.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class ResponseCache(Protocol):
    """Strings in, strings out: small enough to back with Redis, a file, or a dict."""

    def get(self, key: str) -> str | None:
        """The stored answer for ``key``, or None."""
        ...

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        ...


class InMemoryResponseCache:
    """A thread-safe dict; the default cache, one per labeler."""

    def __init__(self) -> None:
        self._answers: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._answers.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._answers[key] = value

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)


def request_cache_key(
    model: str,
    prompt: str,
    temperature: float,
    stop_sequences: Sequence[str] | None,
    candidate_count: int,
    max_output_tokens: int | None,
) -> str:
    """A key that differs whenever anything that shapes the answer differs."""
    material = json.dumps(
        [
            model,
            prompt,
            temperature,
            list(stop_sequences or ()),
            candidate_count,
            max_output_tokens,
        ],
        ensure_ascii=False,
    )
    return "answer:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def embedding_cache_key(model: str, text: str) -> str:
    """The key of one text's vector from one embedding model."""
    material = json.dumps(["embedding", model, text], ensure_ascii=False)
    return "embedding:" + hashlib.sha256(material.encode("utf-8")).hexdigest()
