"""When the work one queued delivery started has ended, however many threads it went through.

An event process may forget a delivery (take it off its processing list, mark its apply-once
claims done) only once nothing it started is still running: its listener, the lazy listeners
and background tasks those hand work to. Bolt gives no such signal, so each delivery carries a
count of its unfinished tasks. The event pump holds one while it dispatches; every task
submitted from the delivery's context adds one until it returns (see
``bot.transport.dedup.ApplyOnceExecutor``). When the count falls to zero the work has ended.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Where a queued delivery's work travels in Bolt's request context, from the pump to the
# apply-once middleware.
DELIVERY_WORK = "alignbot_delivery_work"

_current: contextvars.ContextVar[DeliveryWork | None] = contextvars.ContextVar(
    "alignbot_delivery_work", default=None
)


@dataclass(frozen=True)
class ClaimLease:
    """Who works on a delivery, and how anyone can tell whether it still does.

    ``owner`` is an event process id that beats in the ``consumers_key`` zset; one silent for
    ``gone_seconds`` is gone, and so is its hold on the claims it made.
    """

    owner: str
    consumers_key: str
    gone_seconds: float


class DeliveryWork:
    """Counts the unfinished tasks of one delivery; once none is left, finishes its claim (if
    it made one) and then calls ``on_end``."""

    def __init__(self, lease: ClaimLease, on_end: Callable[[], None]) -> None:
        self.lease = lease
        # What marks this delivery's apply-once claims done, added as they are won (see
        # ``bot.transport.dedup``). Run before ``on_end``: a process killed in between leaves a
        # delivery to be taken again whose claims say it needs nothing more.
        self._finishers: list[Callable[[], None]] = []
        self._on_end = on_end
        self._lock = threading.Lock()
        # The dispatcher's own hold: tasks come and go while Bolt is still dispatching.
        self._unfinished = 1
        self._ended = False

    def when_ended(self, finisher: Callable[[], None]) -> None:
        """Call ``finisher`` once the work has ended, before ``on_end``."""
        with self._lock:
            self._finishers.append(finisher)

    def begin(self) -> None:
        """A task of this delivery was submitted."""
        with self._lock:
            self._unfinished += 1

    def end(self) -> None:
        """A task (or the dispatcher) is done with this delivery."""
        with self._lock:
            self._unfinished -= 1
            if self._unfinished > 0 or self._ended:
                return
            self._ended = True
        try:
            for finisher in self._finishers:
                finisher()
            self._on_end()
        except Exception:
            # Left in the processing list, the delivery is applied again only if this process
            # dies; its claim still names this process until then.
            log.exception("could not record the end of a delivery's work")

    @property
    def ended(self) -> bool:
        return self._ended


def current_work() -> DeliveryWork | None:
    """The work of the queued delivery being served in this context, if any."""
    return _current.get()


def set_current_work(work: DeliveryWork | None) -> None:
    _current.set(work)
