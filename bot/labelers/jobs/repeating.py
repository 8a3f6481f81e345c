"""A task repeated on a fixed interval in a daemon thread: the reaper, a worker's heartbeat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Self


class RepeatingTask:
    """Calls ``task`` every ``interval`` seconds until stopped.

    A failed call is logged on ``logger`` with ``failure_message`` and the next call goes ahead
    as planned: one bad round (Redis briefly away) must not end the loop for good.
    """

    def __init__(
        self,
        task: Callable[[], object],
        interval: float,
        thread_name: str,
        logger: logging.Logger,
        failure_message: str,
        failure_level: int = logging.ERROR,
    ) -> None:
        self.interval = interval
        self._task = task
        self._logger = logger
        self._failure_message = failure_message
        self._failure_level = failure_level
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=thread_name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._task()
            except Exception:
                self._logger.log(self._failure_level, self._failure_message, exc_info=True)
