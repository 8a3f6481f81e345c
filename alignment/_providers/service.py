"""What every helper backed by a network service shares: retries, a concurrency cap, usage counts.

A concrete helper (Gemini, OpenAI-compatible) implements ``_send`` (one generation request),
``_open_stream`` (the same request streamed) and ``_send_embedding`` (one batch of texts to embed):
the HTTP request, its answer parsed, its failures translated into ``ModelError`` subclasses. This
class wraps each request in the gate, the retry loop and the semaphore, counts usage, tops up
candidates when a backend returns fewer than asked, and splits long lists of texts to embed into
batches the service accepts. ``predict_stream`` (``alignment._providers.streaming``) hands out one
answer as the model writes it.
"""

from __future__ import annotations

import abc
import math
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from alignment._providers.base import ModelHelper
from alignment._providers.gate import RequestGate
from alignment._providers.retry import RetryPolicy, call_with_retries
from alignment._providers.streaming import StreamPiece, stream_answer
from alignment._providers.usage import ModelUsage
from alignment.errors import ModelResponseError

DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MAX_CONCURRENT_CALLS = 32

R = TypeVar("R")


@dataclass(frozen=True)
class ModelRequest:
    """One generation request, as the helpers pass it to ``_send``."""

    prompt: str
    temperature: float
    stop_sequences: list[str] | None = None
    candidate_count: int = 1
    max_output_tokens: int | None = None
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class ModelReply:
    """The answers to one request, plus the token counts the service reported (if any)."""

    texts: list[str]
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0


@dataclass(frozen=True)
class EmbeddingReply:
    """One vector per text sent, in order, plus the tokens the service reported (if any)."""

    vectors: list[list[float]]
    prompt_tokens: int = 0


class ServiceModelHelper(ModelHelper, abc.ABC):
    """A ``ModelHelper`` that calls a remote service; one instance serves many threads."""

    model_name: str
    # The model ``embed`` asks; each helper sets its provider's default.
    embedding_model: str
    # Most texts one embedding request may carry (the service's own limit).
    embedding_batch_size: int = 100

    def __init__(
        self,
        model_name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
        request_gate: RequestGate | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive (seconds)")
        if max_concurrent_calls < 1:
            raise ValueError("max_concurrent_calls must be at least 1")
        self.model_name = model_name
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.max_concurrent_calls = max_concurrent_calls
        self.usage = ModelUsage()
        # Asked before every request, e.g. a requests-per-minute limit shared across processes.
        self.request_gate = request_gate
        self._slots = threading.BoundedSemaphore(max_concurrent_calls)

    @abc.abstractmethod
    def _send(self, request: ModelRequest) -> ModelReply:
        """Send one request and parse its answer. Raise ``ModelTransientError`` to be retried."""

    @abc.abstractmethod
    def _send_embedding(self, texts: list[str]) -> EmbeddingReply:
        """Embed one batch of texts. Raise ``ModelTransientError`` to be retried."""

    @abc.abstractmethod
    def _open_stream(self, request: ModelRequest) -> Iterator[StreamPiece]:
        """Send ``request`` streamed; yield its pieces, failures translated as in ``_send``."""

    @abc.abstractmethod
    def _describe(self) -> str:
        """Name the model and server for log lines and error messages."""

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        if candidate_count < 1:
            raise ValueError("candidate_count must be at least 1")
        request = ModelRequest(
            prompt=prompt,
            temperature=temperature,
            stop_sequences=list(stop_sequences) if stop_sequences else None,
            candidate_count=candidate_count,
            max_output_tokens=max_output_tokens,
        )
        texts = self._complete(request)
        return texts if candidate_count > 1 else texts[0]

    def predict_stream(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        max_output_tokens: int | None = None,
    ) -> Generator[str, None, None]:
        """One answer to ``prompt``, piece by piece as the model writes it (``SupportsStreaming``).

        Transient failures before the first piece are retried like ``predict``'s; a failure
        after it raises ``ModelStreamError`` with the text so far. Nothing is sent until the
        first piece is asked for; stop reading (or ``close()``) to end the request early.
        """
        request = ModelRequest(
            prompt=prompt,
            temperature=temperature,
            stop_sequences=list(stop_sequences) if stop_sequences else None,
            max_output_tokens=max_output_tokens,
        )
        return stream_answer(self, request)

    def predict_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        temperature: float,
        max_output_tokens: int | None = None,
    ) -> str:
        request = ModelRequest(
            prompt=prompt,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            json_schema=schema,
        )
        return self._complete(request)[0]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, from ``embedding_model``.

        Long lists go out in batches of ``embedding_batch_size``; each batch passes the same
        gate, concurrency cap and retry loop as a generation request, and counts as one call.
        """
        texts = [str(text) for text in texts]
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.embedding_batch_size):
            batch = texts[start : start + self.embedding_batch_size]
            self.usage.add(calls=1)
            try:
                reply = self._with_retries(partial(self._send_embedding, batch))
                vectors.extend(self._checked_vectors(reply, len(batch)))
            except Exception:
                self.usage.add(errors=1)
                raise
            self.usage.add(prompt_tokens=reply.prompt_tokens)
        return vectors

    def _checked_vectors(self, reply: EmbeddingReply, wanted: int) -> list[list[float]]:
        vectors = reply.vectors
        if len(vectors) != wanted:
            raise ModelResponseError(
                f"{self._describe()} returned {len(vectors)} embeddings for {wanted} texts; "
                f"check that {self.embedding_model!r} is an embedding model the server serves"
            )
        sizes = {len(vector) for vector in vectors}
        if (
            len(sizes) > 1
            or 0 in sizes
            or not all(math.isfinite(value) for vector in vectors for value in vector)
        ):
            raise ModelResponseError(
                f"{self._describe()} returned embeddings that are empty, of different sizes or "
                "not finite numbers"
            )
        return vectors

    def _complete(self, request: ModelRequest) -> list[str]:
        self.usage.add(calls=1)
        try:
            texts = self._collect_candidates(request)
        except Exception:
            self.usage.add(errors=1)
            raise
        self.usage.add(empty_answers=sum(1 for text in texts if not text))
        return texts

    def _collect_candidates(self, request: ModelRequest) -> list[str]:
        # Some OpenAI-compatible servers (Ollama, llama.cpp) ignore ``n`` and return one choice,
        # so keep asking for the remainder. Each round must add at least one answer, which bounds
        # the loop by ``candidate_count`` rounds.
        wanted = request.candidate_count
        texts: list[str] = []
        while len(texts) < wanted:
            remaining = wanted - len(texts)
            reply = self._send_with_retries(
                ModelRequest(
                    prompt=request.prompt,
                    temperature=request.temperature,
                    stop_sequences=request.stop_sequences,
                    candidate_count=remaining,
                    max_output_tokens=request.max_output_tokens,
                    json_schema=request.json_schema,
                )
            )
            if not reply.texts:
                raise ModelResponseError(
                    f"{self._describe()} sent a reply with no answers in it; check that the "
                    "server really serves this model for text generation."
                )
            texts.extend(reply.texts[:remaining])
        return texts

    def _with_retries(self, send: Callable[[], R]) -> R:
        """``send()`` (one request) behind the gate and a slot, retried when transient."""

        def attempt() -> R:
            # The gate is passed before taking a slot, so a call waiting for its turn under a
            # rate limit never keeps another thread from using the service.
            if self.request_gate is not None:
                self.request_gate.acquire()
            # The slot is held for the request only, not during backoff sleeps, so a waiting
            # retry never keeps another thread from using the service.
            with self._slots:
                self.usage.add(requests=1)
                return send()

        return call_with_retries(
            attempt,
            self.retry,
            self._describe(),
            on_retry=lambda: self.usage.add(retries=1),
        )

    def _send_with_retries(self, request: ModelRequest) -> ModelReply:
        reply = self._with_retries(lambda: self._send(request))
        self.usage.add(
            prompt_tokens=reply.prompt_tokens,
            output_tokens=reply.output_tokens,
            thinking_tokens=reply.thinking_tokens,
        )
        return reply
