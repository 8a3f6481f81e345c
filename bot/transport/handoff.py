"""Guard the events path, ack Events API deliveries on their signature alone, and queue them.

Everything that arrives at ``POST /slack/events`` passes the same gate, in this order, before
anything else looks at it: its size (413, judged before the body is read, see
``bot.transport.body``), its shape (400 for a body that is not the JSON or form it claims to be,
where Bolt would answer 500 with a traceback), and Slack's signature with its age (401). Nothing
that fails the gate creates state: it is counted under fixed label values only and never reaches
Bolt or Redis. That includes ``ssl_check``, which Bolt would answer before checking a signature.

An event's ack carries nothing but "received": Bolt answers every event with an empty 200
before any listener runs. So the serving process does only what that answer depends on, appends
the delivery to the event queue and answers. Everything else, Bolt's middleware and listeners
included, runs in an event process (see ``bot.transport.pump``). Other requests (slash commands,
buttons, forms, URL verification) answer with content that listeners decide, so they go through
Bolt here, with the body already read handed on.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import redis
from slack_sdk.signature import SignatureVerifier

from bot.observability.instrumentation import UNVERIFIED, request_type
from bot.observability.metrics import BotMetrics
from bot.transport.body import (
    BodyIncomplete,
    BodyTooLarge,
    MalformedBody,
    parse_slack_body,
    read_body,
)
from bot.transport.event_queue import KEPT_HEADERS, EventQueue, QueuedDelivery
from bot.transport.wsgi_text import text_response

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

QUEUED = "queued"  # the outcome label of an event acked here and left to an event process
REJECTED = "rejected"  # the outcome label of a request refused at the gate


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
            raw = read_body(environ)
            text = raw.decode("utf-8", errors="replace")
            body = parse_slack_body(text, environ.get("CONTENT_TYPE") or "")
        except BodyTooLarge as error:
            return self._refuse(start_response, started, "413 Content Too Large", error)
        except (BodyIncomplete, MalformedBody) as error:
            return self._refuse(start_response, started, "400 Bad Request", error)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not self._signed(text, timestamp, signature):
            return self._refuse(start_response, started, "401 Unauthorized", "invalid signature")
        if body.get("type") != "event_callback":
            # Bolt answers these: hand it the body already read.
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            return bolt(environ, start_response)
        return self._queue_event(environ, start_response, started, text, body)

    def _queue_event(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        started: float,
        text: str,
        body: dict[str, Any],
    ) -> Iterable[bytes]:
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

    def _refuse(
        self, start_response: StartResponse, started: float, status: str, why: object
    ) -> Iterable[bytes]:
        # Fixed label values only: whatever an unchecked body says must not name a series.
        log.debug("refused a request to the events path (%s): %s", status, why)
        self._metrics.ack_seconds.labels("other").observe(self._clock() - started)
        self._metrics.events.labels(UNVERIFIED, REJECTED).inc()
        return text_response(start_response, status, status.split(" ", 1)[1].lower())

    def _signed(self, body: str, timestamp: str, signature: str) -> bool:
        # The verifier raises on a timestamp that is no number; that is just "not signed".
        return timestamp.isdigit() and self._verifier.is_valid(body, timestamp, signature)
