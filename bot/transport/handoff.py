"""Ack Slack's Events API deliveries on their signature alone, and queue them for event processes.

An event's ack carries nothing but "received": Bolt answers every event with an empty 200
before any listener runs. So the serving process does only what that answer depends on (read
the body, check Slack's signature and its age), appends the delivery to the event queue and
answers. Everything else, Bolt's middleware and listeners included, runs in an event process
(see ``bot.transport.pump``). Other requests (slash commands, buttons, forms, URL verification)
answer with content that listeners decide, so they go through Bolt here, as before.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import redis
from slack_sdk.signature import SignatureVerifier

from bot.observability.instrumentation import request_type
from bot.observability.metrics import BotMetrics
from bot.transport.event_queue import KEPT_HEADERS, EventQueue, QueuedDelivery
from bot.transport.wsgi_text import text_response

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

QUEUED = "queued"  # the outcome label of an event acked here and left to an event process
# Far above any event Slack sends; a bigger body is left to Bolt, which reads it whole anyway.
MAX_QUEUED_BODY_BYTES = 1_000_000


def _event_body(raw: bytes) -> dict[str, Any] | None:
    """The parsed body when ``raw`` is an Events API delivery (``event_callback``)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None  # form-encoded commands and interactions, or garbage
    if isinstance(body, dict) and body.get("type") == "event_callback":
        return body
    return None


class EventHandoff:
    """WSGI middleware in front of Bolt's handler for ``POST`` to the events path."""

    def __init__(
        self,
        signing_secret: str,
        queue: EventQueue,
        metrics: BotMetrics,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._queue = queue
        self._metrics = metrics
        self._clock = clock

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse, bolt: WSGIApplication
    ) -> Iterable[bytes]:
        started = self._clock()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_QUEUED_BODY_BYTES:
            return bolt(environ, start_response)
        raw = environ["wsgi.input"].read(length)
        body = _event_body(raw)
        text = raw.decode("utf-8", errors="replace")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if body is None or not self._signed(text, timestamp, signature):
            # Bolt answers these (and counts the unsigned ones as rejected): hand it the body.
            environ["wsgi.input"] = io.BytesIO(raw)
            return bolt(environ, start_response)
        headers = {
            name: value
            for name in KEPT_HEADERS
            if (value := environ.get("HTTP_" + name.upper().replace("-", "_")))
        }
        try:
            self._queue.put(QueuedDelivery(body=text, acked_at=time.time(), headers=headers))
        except redis.RedisError as error:
            # Not acked, so Slack delivers it again in a while, when Redis may be back.
            log.warning("could not queue a Slack event, answering 503: %s", error)
            return text_response(start_response, "503 Service Unavailable", "try again")
        self._metrics.ack_seconds.labels("event").observe(self._clock() - started)
        self._metrics.events.labels(request_type(body), QUEUED).inc()
        return text_response(start_response, "200 OK", "")

    def _signed(self, body: str, timestamp: str, signature: str) -> bool:
        # The verifier raises on a timestamp that is no number; that is just "not signed".
        return timestamp.isdigit() and self._verifier.is_valid(body, timestamp, signature)
