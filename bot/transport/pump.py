"""Take acked Slack events off the queue and run them through the Bolt app, in arrival order.

This is where the listeners of events (reactions, replies, mentions, uploads) run. It runs in
each ``alignbot events`` process that ``alignbot serve`` starts, or as a thread of the serving
process when ``ALIGN_EVENT_PROCESSES`` is 0.

Redis is not trusted to hand back only what a bot put in: anyone who can write to it could
queue an event. So each delivery's body is checked again against the Slack signature it was
queued with (see ``bot.transport.queued_signature``), all but its age: a delivery may be applied
long after Slack sent it, when an outage held it in the queue. One that fails is logged, without
its body, and dropped. Bolt itself is told not to check (its age limit is five minutes); Socket
Mode deliveries are in the same position, and Bolt's name for "already trusted" is
``mode="socket_mode"``.

A taken delivery stays in this pump's processing list until the work it started has ended (see
``bot.transport.delivery_work``); each beat, a pump also puts back what event processes that
stopped beating left unfinished (see ``bot.transport.event_queue``).

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
from bot.transport.delivery_work import DELIVERY_WORK, ClaimLease, DeliveryWork
from bot.transport.event_queue import BEAT_SECONDS, EventQueue, QueuedDelivery, QueueEntryError
from bot.transport.queued_signature import QueuedSignature

log = logging.getLogger(__name__)

# After Redis fails, wait this long before asking again, so an outage is not a busy loop.
RETRY_AFTER_REDIS_ERROR_SECONDS = 1.0
# How often a pump whose process has no room for more work looks again.
FULL_POOL_PAUSE_SECONDS = 0.05
# A stopped pump keeps beating while work it took is unfinished (its process is finishing it),
# so that work is not taken for abandoned; for at most this long.
FINISH_WORK_SECONDS = 60.0


class EventPump:
    """Feeds queued deliveries to ``app.dispatch`` until stopped; beats while it runs."""

    def __init__(
        self,
        app: App,
        queue: EventQueue,
        signing_secret: str,
        consumer: str | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.app = app
        self.queue = queue
        self.signature = QueuedSignature(signing_secret)
        # Also names this pump's processing list: made here, never from anything received.
        self.consumer = consumer or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lease = ClaimLease(self.consumer, queue.consumers_key, queue.gone_seconds)
        self._unfinished: set[DeliveryWork] = set()
        self._unfinished_lock = threading.Lock()
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

    @property
    def unfinished(self) -> int:
        """Deliveries this pump took whose work has not ended."""
        with self._unfinished_lock:
            return len(self._unfinished)

    def run(self) -> None:
        last_beat = 0.0
        # Nothing is taken before the first beat: a taker nobody has heard of could never be
        # found gone, and what it took never put back.
        beaten = False
        try:
            while not self._stop.is_set():
                if time.monotonic() - last_beat >= BEAT_SECONDS:
                    if not self.keep_going():
                        log.warning("the bot that started this event process is gone; stopping")
                        self._stop.set()
                        break
                    if self._beat():
                        beaten = True
                        last_beat = time.monotonic()
                        self._reclaim()
                if not beaten:
                    self._stop.wait(RETRY_AFTER_REDIS_ERROR_SECONDS)
                    continue
                if self._pool.is_full():
                    # Leave deliveries in Redis until this process has room for their work.
                    self._stop.wait(FULL_POOL_PAUSE_SECONDS)
                    continue
                try:
                    raw = self.queue.take(self.consumer, int(BEAT_SECONDS))
                except redis.RedisError as error:
                    log.warning("cannot take events from Redis: %s", error)
                    self._stop.wait(RETRY_AFTER_REDIS_ERROR_SECONDS)
                    continue
                if raw is not None:
                    self.dispatch(raw)
            self._beat_until_work_ends()
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

    def _reclaim(self) -> None:
        try:
            moved = self.queue.reclaim()
        except redis.RedisError as error:
            log.warning("cannot look for events that stopped event processes left: %s", error)
            return
        if moved:
            log.warning("put back %d events that a stopped event process had not finished", moved)

    def _beat_until_work_ends(self) -> None:
        deadline = time.monotonic() + FINISH_WORK_SECONDS
        while self.unfinished and time.monotonic() < deadline:
            self._beat()
            time.sleep(BEAT_SECONDS)

    def dispatch(self, raw: str) -> None:
        """Run one taken delivery through the app; a broken or forged entry is logged and
        dropped. The entry stays taken until the work it starts has ended."""
        try:
            delivery = QueuedDelivery.from_json(raw)
            body = json.loads(delivery.body)
        except (QueueEntryError, ValueError) as error:
            log.error("dropping a queue entry that is no Slack event: %s", error)
            self._finish(raw)
            return
        if not isinstance(body, dict) or not self.signature.matches(delivery):
            # The body is not logged: it is whatever someone with access to Redis wrote.
            log.error("dropping a queue entry that Slack did not sign (%d bytes)", len(raw))
            self._finish(raw)
            return
        work = DeliveryWork(self.lease, lambda: self._ended(work, raw))
        with self._unfinished_lock:
            self._unfinished.add(work)
        request = BoltRequest(
            body=body,
            headers={name: [value] for name, value in delivery.headers.items()},
            context={QUEUED_AT: delivery.acked_at, DELIVERY_WORK: work},
            mode="socket_mode",
        )
        try:
            self.app.dispatch(request)
        except Exception:
            # Bolt reports listener errors itself; this is the app failing around them.
            log.exception("could not dispatch a queued Slack event")
        finally:
            work.end()  # the dispatcher's hold; the tasks it started hold their own

    def _ended(self, work: DeliveryWork, raw: str) -> None:
        with self._unfinished_lock:
            self._unfinished.discard(work)
        self._finish(raw)

    def _finish(self, raw: str) -> None:
        try:
            self.queue.finish(self.consumer, raw)
        except redis.RedisError as error:
            # It is taken again only if this process dies, and then its claims say it is done.
            log.warning("cannot forget a finished event in Redis: %s", error)
