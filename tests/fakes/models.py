"""A scripted model for library tests: queued answers or a responder function, requests logged."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from alignment._providers.base import ModelHelper
from tests.fakes.embeddings import hash_embedding


@dataclass
class Request:
    prompt: str
    temperature: float
    stop_sequences: list[str] | None
    candidate_count: int
    max_output_tokens: int | None
    schema: dict[str, Any] | None = None


Responder = Callable[[Request], str]


class ScriptedModel(ModelHelper):
    """Answers each call with the next queued answer, or with ``responder(request)`` if given.

    Thread-safe, so concurrent library code can share one instance. ``requests`` records every
    call in arrival order.
    """

    model_name = "scripted"

    def __init__(self, answers: Iterable[str] = (), responder: Responder | None = None) -> None:
        self.answers: deque[str] = deque(answers)
        self.responder = responder
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def queue(self, *answers: str) -> None:
        with self._lock:
            self.answers.extend(answers)

    def _answer(self, request: Request) -> str:
        with self._lock:
            self.requests.append(request)
            if self.answers:
                return self.answers.popleft()
        if self.responder is None:
            raise AssertionError(f"scripted model has no answer left for: {request.prompt[:300]!r}")
        return self.responder(request)

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        if candidate_count > 1:
            return [
                self._answer(
                    Request(prompt, temperature, stop_sequences, candidate_count, max_output_tokens)
                )
                for _ in range(candidate_count)
            ]
        return self._answer(
            Request(prompt, temperature, stop_sequences, candidate_count, max_output_tokens)
        )


class StructuredScriptedModel(ScriptedModel):
    """A scripted model that also offers schema-constrained JSON answers."""

    def predict_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        temperature: float,
        max_output_tokens: int | None = None,
    ) -> str:
        return self._answer(Request(prompt, temperature, None, 1, max_output_tokens, schema))


class EmbeddingScriptedModel(ScriptedModel):
    """A scripted model that also embeds texts with ``embedder`` (a hash vector by default).

    ``embedded`` records every text embedded, in arrival order, so tests can count what was
    embedded and when.
    """

    embedding_model = "scripted-embedding"

    def __init__(
        self,
        answers: Iterable[str] = (),
        responder: Responder | None = None,
        embedder: Callable[[str], list[float]] | None = None,
    ) -> None:
        super().__init__(answers, responder)
        self.embedder = embedder
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            self.embedded.extend(texts)
        return [(self.embedder or hash_embedding)(text) for text in texts]
