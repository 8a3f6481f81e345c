"""Delivering progress events to a caller's callback from many worker threads.

The callback may be slow (the bot edits a Slack message), so it must never hold up model calls:
an event that arrives while the callback is still busy with an earlier one is dropped, except the
last event of a phase (``done == total``), which waits its turn and is always delivered.
A callback that raises is logged and otherwise ignored: progress reports never stop training.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from alignment._labeler.model_calls import ModelCaller
from alignment._labeler.types import ProgressEvent

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[ProgressEvent], None]


class ProgressReporter:
    def __init__(
        self, callback: ProgressCallback | None, caller: ModelCaller, step: int | None = None
    ) -> None:
        self._callback = callback
        self._caller = caller
        self._step = step
        self._delivering = threading.Lock()
        self._state = threading.Lock()
        self._last_done: dict[str, int] = {}

    def phase(self, name: str, total: int) -> PhaseProgress:
        return PhaseProgress(self, name, total)

    def emit(self, phase: str, done: int, total: int) -> None:
        if self._callback is None:
            return
        final = done >= total
        if not self._delivering.acquire(blocking=final):
            return
        try:
            with self._state:
                if done < self._last_done.get(phase, -1):
                    return  # a later event of this phase was already delivered
                self._last_done[phase] = done
            stats = self._caller.stats
            event = ProgressEvent(
                phase, done, total, stats.model_calls, stats.cache_hits, step=self._step
            )
            try:
                self._callback(event)
            except Exception:
                logger.warning("progress callback failed; training continues", exc_info=True)
        finally:
            self._delivering.release()


class PhaseProgress:
    """Counts finished units of one phase; ``total`` may grow as work is discovered."""

    def __init__(self, reporter: ProgressReporter, name: str, total: int) -> None:
        self._reporter = reporter
        self._name = name
        self._total = total
        self._done = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        self._reporter.emit(self._name, 0, self._total)

    def add_to_total(self, amount: int) -> None:
        with self._lock:
            self._total += amount

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self._done += amount
            done, total = self._done, self._total
        self._reporter.emit(self._name, done, total)
