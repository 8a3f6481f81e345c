"""Model work for feedback runs here, never in the threads that ack Slack's requests.

Bolt runs each ack function in its listener executor, the same pool its lazy listeners use. Two
seconds of model work per event in that pool would queue the acks of later events behind it, and
a late ack makes Slack retry. So feedback listeners ack and hand their work to this pool, which
is sized for work that mostly waits on the network; the model helpers cap their own calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

FEEDBACK_WORKERS = 32


class BackgroundWork:
    def __init__(self, workers: int = FEEDBACK_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alignbot-feedback")

    def submit(self, what: str, work: Callable[..., None], *args: Any) -> Future[None]:
        """Run ``work(*args)`` soon; a failure is logged with ``what`` it was doing."""

        def guarded() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("feedback work failed: %s", what)

        return self._pool.submit(guarded)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
