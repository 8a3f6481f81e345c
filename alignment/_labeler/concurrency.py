"""Running model calls side by side: a bounded worker pool, an ordered parallel map, a rate limit.

Model calls spend nearly all their time waiting on the network, so threads are the right tool:
the pool size is the number of calls in flight.
"""

from __future__ import annotations

import functools
import itertools
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


class WorkerPool:
    """``max_workers`` threads that take tasks by priority (lowest first), then in submission order.

    Priorities let a short chain of dependent calls overtake hundreds of queued independent ones,
    so the chain does not wait for the whole queue at every link. Threads start on demand.
    """

    def __init__(self, max_workers: int, name: str = "alignment-worker") -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._max_workers = max_workers
        self._name = name
        self._tasks: queue.PriorityQueue[tuple[float, int, Any, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[[], T], priority: int = 0) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("worker pool is closed")
            self._tasks.put((priority, next(self._order), future, fn))
            if len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def cancel_pending(self) -> int:
        """Cancel every task not yet started; returns how many were cancelled."""
        cancelled = 0
        while True:
            try:
                _, _, future, fn = self._tasks.get_nowait()
            except queue.Empty:
                return cancelled
            if fn is _STOP:
                self._tasks.put((math.inf, next(self._order), None, _STOP))
                return cancelled
            if future.cancel():
                cancelled += 1

    def close(self, cancel_pending: bool = False) -> None:
        """Stop the threads once queued tasks are done (or cancelled), and wait for them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        if cancel_pending:
            self.cancel_pending()
        for _ in threads:
            self._tasks.put((math.inf, next(self._order), None, _STOP))
        for thread in threads:
            thread.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(cancel_pending=exc is not None)

    def _work(self) -> None:
        while True:
            _, _, future, fn = self._tasks.get()
            if fn is _STOP:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
            else:
                future.set_result(result)


def parallel_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[fn(x) for x in items]`` with up to ``max_workers`` calls at once, results in input order.

    The first failure (in input order) is raised once running calls finish; calls not yet
    started are cancelled.
    """
    with WorkerPool(max_workers) as pool:
        futures = [pool.submit(functools.partial(fn, item)) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.cancel_pending()
            raise


class RateLimiter:
    """Spaces calls evenly so that no more than ``requests_per_minute`` start in any minute."""

    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError(f"requests_per_minute must be positive, got {requests_per_minute}")
        self.interval = 60.0 / requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Claim the next free start time; returns how many seconds to wait for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
            return slot - now

    def acquire(self) -> None:
        """Wait for the next free start time."""
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)
