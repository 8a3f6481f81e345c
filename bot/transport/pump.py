"""Take acked Slack events off the queue and run them through the Bolt app, in arrival order.

This is where the listeners of events (reactions, replies, mentions, uploads) run. It runs in
each ``alignbot events`` process that ``alignbot serve`` starts, or as a thread of the serving
process when ``ALIGN_EVENT_PROCESSES`` is 0. A delivery's signature was checked when it was
acked, so Bolt is told not to check it again: by then its timestamp may be older than the five
minutes Bolt allows. Socket Mode deliveries are in the same position, and Bolt's own name for
"already trusted" is ``mode="socket_mode"``.

A pump takes a delivery only while its process's background pool has room (see
``bot.transport.background``): a backlog then waits in Redis, where it is persisted and where an
idle event process of another bot can take it, rather than in one process's memory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable

import redis
from slack_bolt import App, BoltRequest

from bot.observability.instrumentation import QUEUED_AT
from bot.transport.background import background_work_of
from bot.transport.event_queue import BEAT_SECONDS, EventQueue, QueuedDelivery, QueueEntryError

log = logging.getLogger(__name__)

# After Redis fails, wait this long before asking again, so an outage is not a busy loop.
RETRY_AFTER_REDIS_ERROR_SECONDS = 1.0
# How often a pump whose process has no room for more work looks again.
FULL_POOL_PAUSE_SECONDS = 0.05


class EventPump:
    """Feeds queued deliveries to ``app.dispatch`` until stopped; beats while it runs."""

    def __init__(
        self,
        app: App,
        queue: EventQueue,
        consumer: str | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.app = app
        self.queue = queue
        self.consumer = consumer or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # Checked once a beat: lets an event process stop when the bot that started it is gone.
        self.keep_going = keep_going
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = background_work_of(app)

    def start(self) -> EventPump:
        self._thread = threading.Thread(target=self.run, name="alignbot-events", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2 * BEAT_SECONDS + 1) -> None:
        """Take no more deliveries (the one being dispatched is finished first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        last_beat = 0.0
        try:
            while not self._stop.is_set():
                if time.monotonic() - last_beat >= BEAT_SECONDS:
                    if not self.keep_going():
                        log.warning("the bot that started this event process is gone; stopping")
                        self._stop.set()
                        break
                    if self._beat():
                        last_beat = time.monotonic()
                if self._pool.is_full():
                    # Leave deliveries in Redis until this process has room for their work.
                    self._stop.wait(FULL_POOL_PAUSE_SECONDS)
                    continue
                try:
                    raw = self.queue.take(BEAT_SECONDS)
                except redis.RedisError as error:
                    log.warning("cannot take events from Redis: %s", error)
                    self._stop.wait(RETRY_AFTER_REDIS_ERROR_SECONDS)
                    continue
                if raw is not None:
                    self.dispatch(raw)
        finally:
            # When Redis is gone, so is the need: the entry is forgotten once its beats are old.
            with contextlib.suppress(redis.RedisError):
                self.queue.leave(self.consumer)

    def _beat(self) -> bool:
        try:
            self.queue.beat(self.consumer)
            return True
        except redis.RedisError as error:
            log.warning("cannot record that this event process is alive: %s", error)
            return False

    def dispatch(self, raw: str) -> None:
        """Run one queued delivery through the app; a broken entry is logged and dropped."""
        try:
            delivery = QueuedDelivery.from_json(raw)
            body = json.loads(delivery.body)
        except (QueueEntryError, ValueError) as error:
            log.error("dropping a queue entry that is no Slack event: %s", error)
            return
        request = BoltRequest(
            body=body,
            headers={name: [value] for name, value in delivery.headers.items()},
            context={QUEUED_AT: delivery.acked_at},
            mode="socket_mode",
        )
        try:
            self.app.dispatch(request)
        except Exception:
            # Bolt reports listener errors itself; this is the app failing around them.
            log.exception("could not dispatch a queued Slack event")
