"""Every model call a labeler makes goes through here: cache, rate limit, cancel, count, fail fast.

``ModelCaller`` lives as long as its labeler and owns what spans operations (cache, counters,
rate limit). ``CallSession`` lives for one operation (a training step, an inference pass): it owns
the worker pool that bounds calls in flight, and stops the whole operation at the first failure.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from alignment._labeler.cache import ResponseCache, embedding_cache_key, request_cache_key
from alignment._labeler.concurrency import RateLimiter, WorkerPool
from alignment._providers.base import ModelHelper, SupportsEmbedding, model_identity
from alignment.errors import LabelerModelError, TrainingCancelled

T = TypeVar("T")
logger = logging.getLogger(__name__)


class _OperationAborted(Exception):
    """Raised by calls of an operation that has already failed elsewhere."""


@dataclass(frozen=True)
class ModelRequest:
    prompt: str
    temperature: float
    stop_sequences: tuple[str, ...] = ()
    max_output_tokens: int | None = None

    def cache_key(self, model: str) -> str:
        return request_cache_key(
            model, self.prompt, self.temperature, self.stop_sequences, 1, self.max_output_tokens
        )


@dataclass
class LabelerStats:
    """Running totals for one labeler; ``labeler.stats`` hands out a copy."""

    model_calls: int = 0  # requests sent to a model (cache hits excluded)
    cache_hits: int = 0  # requests answered from the cache or by an identical call in flight
    candidates_scored: int = 0  # candidate checkpoints scored on a validation sample
    peak_in_flight: int = 0  # most model calls running at the same moment
    unparseable_choices: int = 0  # mutation choices unreadable even after asking again
    duplicate_mutations: int = 0  # rule changes skipped because they were already tried
    empty_rule_answers: int = 0  # requests for a rule text that came back blank

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


class ModelCaller:
    """Sends requests to model helpers on behalf of one labeler, from any number of threads."""

    def __init__(
        self,
        cache: ResponseCache,
        should_stop: Callable[[], bool] | None = None,
        requests_per_minute: float | None = None,
    ) -> None:
        self.cache = cache
        self.should_stop = should_stop
        self.rate_limiter = (
            None if requests_per_minute is None else RateLimiter(requests_per_minute)
        )
        self._stats = LabelerStats()
        self._in_flight = 0
        self._pending: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    @property
    def stats(self) -> LabelerStats:
        with self._lock:
            return dataclasses.replace(self._stats)

    def count(self, **increments: int) -> None:
        """Add to counters kept for the training logic (candidates scored, skipped choices...)."""
        with self._lock:
            for name, amount in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + amount)

    def check_stop(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise TrainingCancelled("training was cancelled")

    def call(self, helper: ModelHelper, request: ModelRequest, purpose: str) -> str:
        """The helper's answer to ``request``, from the cache when this exact request was made.

        ``purpose`` says what the call is for ("classifying validation row 12..."); a failure is
        raised as ``LabelerModelError`` naming it.
        """
        self.check_stop()
        model = model_identity(helper)
        key = request.cache_key(model)
        cached = self._cache_get(key)
        if cached is not None:
            self.count(cache_hits=1)
            return cached
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                mine: Future[str] = Future()
                self._pending[key] = mine
        if pending is not None:
            # The same request is already on its way: share its answer instead of sending it again.
            answer = pending.result()
            self.count(cache_hits=1)
            return answer
        try:
            answer = self._send(helper, model, request, purpose)
        except BaseException as error:
            mine.set_exception(error)
            raise
        else:
            self._cache_set(key, answer)
            mine.set_result(answer)
            return answer
        finally:
            with self._lock:
                del self._pending[key]

    def embed(self, helper: SupportsEmbedding, texts: Sequence[str], purpose: str) -> np.ndarray:
        """One row of float32 per text; texts this model embedded before come from the cache.

        The texts not cached go to the helper in one call, paced, counted and cancellable like
        any other model call; a failure is raised as ``LabelerModelError`` naming ``purpose``.
        """
        self.check_stop()
        model = f"{model_identity(helper)}:{helper.embedding_model}"
        keys = [embedding_cache_key(model, text) for text in texts]
        vectors: list[np.ndarray | None] = [_vector(self._cache_get(key)) for key in keys]
        missing = [index for index, vector in enumerate(vectors) if vector is None]
        if len(missing) < len(texts):
            self.count(cache_hits=len(texts) - len(missing))
        if missing:
            fresh = self._send_embedding(helper, model, [texts[i] for i in missing], purpose)
            for index, vector in zip(missing, fresh, strict=True):
                vectors[index] = vector
                self._cache_set(keys[index], base64.b64encode(vector.tobytes()).decode("ascii"))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        found = [vector for vector in vectors if vector is not None]
        if len({len(vector) for vector in found}) > 1:
            raise LabelerModelError(
                f"{purpose} failed: the embeddings of {model} (some from the cache) differ in "
                "size; start a new run, or clear its cache"
            )
        return np.vstack(found)

    @contextmanager
    def _model_call(self, model: str, purpose: str) -> Iterator[None]:
        """One request to a model: waits its turn under the rate limit, is counted while in
        flight, and its failure is reported as the labeler's, naming what it was for."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
            self.check_stop()
        with self._lock:
            self._stats.model_calls += 1
            self._in_flight += 1
            self._stats.peak_in_flight = max(self._stats.peak_in_flight, self._in_flight)
        try:
            yield
        except Exception as error:
            raise LabelerModelError(
                f"{purpose} failed: the model {model} raised {type(error).__name__}: {error}"
            ) from error
        finally:
            with self._lock:
                self._in_flight -= 1

    def _send_embedding(
        self, helper: SupportsEmbedding, model: str, texts: list[str], purpose: str
    ) -> list[np.ndarray]:
        with self._model_call(model, purpose):
            answer = helper.embed(texts)
        if len(answer) != len(texts):
            raise LabelerModelError(
                f"{purpose} failed: the model {model} sent {len(answer)} embeddings for "
                f"{len(texts)} texts"
            )
        return [np.asarray(vector, dtype=np.float32) for vector in answer]

    def _send(self, helper: ModelHelper, model: str, request: ModelRequest, purpose: str) -> str:
        with self._model_call(model, purpose):
            answer = helper.predict(
                request.prompt,
                temperature=request.temperature,
                stop_sequences=list(request.stop_sequences) or None,
                candidate_count=1,
                max_output_tokens=request.max_output_tokens,
            )
        if isinstance(answer, list):
            answer = answer[0] if answer else ""
        if not isinstance(answer, str):
            raise LabelerModelError(
                f"{purpose} failed: the model {model} answered with a "
                f"{type(answer).__name__}, not text"
            )
        return answer

    def _cache_get(self, key: str) -> str | None:
        # A cache outage (the bot's Redis restarting) costs calls, not the training run.
        try:
            return self.cache.get(key)
        except Exception:
            logger.warning("response cache read failed; calling the model instead", exc_info=True)
            return None

    def _cache_set(self, key: str, answer: str) -> None:
        try:
            self.cache.set(key, answer)
        except Exception:
            logger.warning("response cache write failed; the answer is not cached", exc_info=True)


class CallSession:
    """The model calls of one operation, at most ``max_concurrency`` at a time, failing fast.

    After the first failure (a model error, a cancellation, a bug) every queued call is
    cancelled and later calls refuse to start; ``raise_failure`` re-raises that first failure.
    """

    def __init__(self, caller: ModelCaller, max_concurrency: int) -> None:
        self.caller = caller
        self._pool = WorkerPool(max_concurrency, name="labeler-call")
        self._failure: BaseException | None = None
        self._lock = threading.Lock()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def submit(
        self,
        helper: ModelHelper,
        request: ModelRequest,
        purpose: str,
        interpret: Callable[[str], T],
        priority: int,
    ) -> Future[T]:
        """Queue a call; the future holds ``interpret(answer)``."""
        return self.run(lambda: interpret(self.caller.call(helper, request, purpose)), priority)

    def run(self, task: Callable[[], T], priority: int) -> Future[T]:
        """Queue ``task`` (which makes one model call) on the session's call slots.

        A task may build its prompt itself, so that queued work holds no prompt text yet.
        """

        def guarded() -> T:
            if self._failure is not None:
                raise _OperationAborted()
            try:
                return task()
            except BaseException as error:
                self.fail(error)
                raise

        return self._pool.submit(guarded, priority)

    def call(self, helper: ModelHelper, request: ModelRequest, purpose: str, priority: int) -> str:
        """A call made by a thread that waits for its answer (one link of a chain of calls)."""
        return self.submit(helper, request, purpose, _same, priority).result()

    def fail(self, error: BaseException) -> None:
        """Record the operation's first failure and cancel every call not yet started."""
        with self._lock:
            if self._failure is not None or isinstance(error, _OperationAborted):
                return
            self._failure = error
        self._pool.cancel_pending()

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        self._pool.close(cancel_pending=self.failed)


def _same(answer: str) -> str:
    return answer


def _vector(cached: str | None) -> np.ndarray | None:
    """A cached vector (base64 of float32), or None when absent or unreadable."""
    if not cached:
        return None
    try:
        raw = base64.b64decode(cached.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    if not raw or len(raw) % 4:
        return None
    return np.frombuffer(raw, dtype=np.float32)
