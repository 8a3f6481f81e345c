"""Threads for a training step's chains of dependent calls, failing the whole step at once.

A chain waits on its own model calls, so it cannot run on the session's call slots without
taking one away from the calls themselves; chains get a small pool of their own instead.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from alignment._labeler.model_calls import CallSession

T = TypeVar("T")

_MAX_CHAIN_THREADS = 64


class ChainThreads:
    """Runs chain work next to a call session; use ``with threads:`` around the step."""

    def __init__(self, session: CallSession, wanted: int) -> None:
        self.session = session
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(_MAX_CHAIN_THREADS, wanted)), thread_name_prefix="labeler-chain"
        )

    def spawn(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn`` on a chain thread; its failure stops the step at once, not when awaited."""

        def run() -> T:
            try:
                return fn(*args)
            except BaseException as error:
                self.session.fail(error)
                raise

        return self._pool.submit(run)

    def __enter__(self) -> ChainThreads:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        """Wait for every chain; on a failure, cancel queued calls first and raise the first one."""
        if exc is None:
            self._pool.shutdown(wait=True)
            return
        self.session.fail(exc)
        self._pool.shutdown(wait=True, cancel_futures=True)
        # Waiters see cancellations or aborts; the session knows what actually went wrong.
        self.session.raise_failure()
