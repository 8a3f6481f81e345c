"""Run the Bolt app: over HTTP under a threaded WSGI server, or over a Socket Mode connection.

Over HTTP, Slack's events are acked on arrival and applied from a Redis queue by event processes
(``bot.transport.handoff``, ``bot.transport.pump``); commands and interactions are answered by Bolt.

Both runners stop on SIGTERM or SIGINT: they stop taking new requests, run the caller's
``on_stop`` hook (work that still needs Redis, such as the training runner handing its step back),
let listener work that already started finish, then release Redis.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

import redis
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.services import Services
from bot.transport.background import shutdown_listeners
from bot.transport.bearer import bearer_matches
from bot.transport.body import MAX_BODY_BYTES
from bot.transport.deadlines import HEADER_SECONDS, Server
from bot.transport.event_queue import EventQueue
from bot.transport.handoff import EventHandoff
from bot.transport.pump import EventPump
from bot.transport.wsgi_text import text_response

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Everything under it goes to the prompt API, when the bot serves one (bot.api).
API_PATH_PREFIX = "/api/"
# A thread is taken only while a request is read and answered (idle keep-alive connections wait
# in a selector), and each read has a deadline (bot.transport.deadlines); enough threads that a
# few dozen slow or hostile sockets still leave most of them for Slack and the probes.
HTTP_THREADS = 64
# cheroot's limit on each socket read, and on how long an idle keep-alive connection is kept.
SOCKET_TIMEOUT_SECONDS = HEADER_SECONDS
# Slack sends bursts; cheroot's default backlog of 5 makes the sixth waiting connect stall a
# second (a dropped SYN is retried after 1 s), which alone would blow the 3-second ack budget.
LISTEN_BACKLOG = 128
# How long a stopping server waits for open HTTP connections before closing them.
SHUTDOWN_TIMEOUT_SECONDS = 5

StopHook = Callable[[], None]
WsgiApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]

# How long a thread running Python code may keep the interpreter lock while others wait for it.
# Python's default is 5 ms. A request thread that waited on its socket must get the lock back
# before it can answer, and while background threads parse model answers, each such wait can
# cost the full interval, several times per request; a shorter one keeps acks quick under load.
SWITCH_INTERVAL_SECONDS = 0.001


def build_probe_app(services: Services, api: WsgiApp | None = None) -> WsgiApp:
    """``/healthz``, ``/metrics`` and, when given, the prompt API under ``/api/``: what a bot
    in Socket Mode serves over HTTP (it takes no Slack requests there)."""
    metrics_endpoint = services.metrics.wsgi_app()
    metrics_token = services.settings.metrics_token

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if api is not None and path.startswith(API_PATH_PREFIX):
            return api(environ, start_response)
        if method == "GET" and path == "/healthz":
            return text_response(start_response, "200 OK", "ok")
        if method == "GET" and path == "/metrics":
            if metrics_token and not bearer_matches(environ, metrics_token):
                return _unauthorized(start_response)
            # Each bot process serves its own; bot.observability.metrics says what to sum.
            return metrics_endpoint(environ, start_response)
        return text_response(start_response, "404 Not Found", "not found")

    return wsgi_app


def build_wsgi_app(app: App, services: Services, api: WsgiApp | None = None) -> WsgiApp:
    """Health probes, ``/metrics``, the prompt API when given, and what Slack sends: events
    are acked and queued for an event process, everything else goes to Bolt's WSGI handler."""
    slack_handler = SlackRequestHandler(app, path=EVENTS_PATH)
    probes = build_probe_app(services, api)
    queue = EventQueue(services.redis)
    handoff = EventHandoff(services.settings.slack_signing_secret, queue, services.metrics)

    def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path.startswith(API_PATH_PREFIX) or (
            method == "GET" and path in ("/healthz", "/metrics")
        ):
            return probes(environ, start_response)
        if method == "GET" and path == "/readyz":
            unready = "503 Service Unavailable"
            if not services.redis_connection.ping():
                return text_response(start_response, unready, "redis unreachable")
            if not _event_processes_alive(queue):
                return text_response(start_response, unready, "no event process is running")
            return text_response(start_response, "200 OK", "ready")
        if method == "POST" and path == EVENTS_PATH:
            return handoff(environ, start_response, slack_handler)
        return slack_handler(environ, start_response)

    return wsgi_app


def _unauthorized(start_response: StartResponse) -> Iterable[bytes]:
    body = b"a bearer token is required (ALIGN_METRICS_TOKEN)"
    start_response(
        "401 Unauthorized",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("WWW-Authenticate", 'Bearer realm="alignbot metrics"'),
        ],
    )
    return [body]


def _event_processes_alive(queue: EventQueue) -> bool:
    # Events acked while none runs wait in Redis, but nobody sees their effect until one does.
    try:
        return queue.live_consumers() > 0
    except redis.RedisError:
        return False


class StopSignal:
    """An event set by SIGTERM/SIGINT (or by ``set`` from code, which tests use)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        self.event.set()

    def set(self) -> None:
        self.event.set()

    def wait(self) -> None:
        # A bounded wait in a loop, so the main thread keeps running Python signal handlers.
        while not self.event.wait(0.2):
            pass


def serve_http(
    app: App,
    services: Services,
    host: str = "0.0.0.0",
    stop: StopSignal | None = None,
    on_stop: StopHook | None = None,
    events_here: bool = True,
    api: WsgiApp | None = None,
) -> None:
    """Serve ``POST /slack/events``, ``GET /healthz``, ``/readyz``, ``/metrics`` (and ``api``
    under ``/api/``) until stopped.

    ``events_here`` applies queued events in this process too (when no ``alignbot events``
    process is started for it).
    """
    stop = stop or StopSignal()
    secret = services.settings.slack_signing_secret
    pump = EventPump(app, EventQueue(services.redis), secret).start() if events_here else None
    server, serving = _start_server(
        host, services.settings.port, build_wsgi_app(app, services, api)
    )
    log.info("alignbot listening on http://%s:%s%s", host, server.bind_addr[1], EVENTS_PATH)
    try:
        stop.wait()
    finally:
        _stop_server(server, serving)
        if pump is not None:
            pump.stop()
        _finish(app, services, on_stop)


def _start_server(host: str, port: int, wsgi_app: WsgiApp) -> tuple[Server, threading.Thread]:
    server = Server(
        (host, port),
        wsgi_app,
        numthreads=HTTP_THREADS,
        request_queue_size=LISTEN_BACKLOG,
        timeout=SOCKET_TIMEOUT_SECONDS,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
    )
    # cheroot refuses a declared length over this unread, and caps chunked bodies at it.
    server.max_request_body_size = MAX_BODY_BYTES
    server.prepare()
    serving = threading.Thread(target=server.serve, name="alignbot-http", daemon=True)
    serving.start()
    return server, serving


def _stop_server(server: Server, serving: threading.Thread) -> None:
    server.stop()
    serving.join(SHUTDOWN_TIMEOUT_SECONDS)


def serve_socket_mode(
    app: App,
    services: Services,
    stop: StopSignal | None = None,
    on_stop: StopHook | None = None,
    api: WsgiApp | None = None,
    host: str = "0.0.0.0",
) -> None:
    """Hold a Socket Mode connection (opened with the app-level token) until stopped.

    With ``api``, an HTTP port is opened too, serving it with ``/healthz`` and ``/metrics``.
    """
    from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

    stop = stop or StopSignal()
    http = None
    if api is not None:
        http = _start_server(host, services.settings.port, build_probe_app(services, api))
        log.info("prompt API listening on http://%s:%s%s", host, http[0].bind_addr[1], "/api/v1")
    handler = SocketModeHandler(app, app_token=services.settings.slack_app_token)
    try:
        handler.connect()
        log.info("alignbot connected over Socket Mode")
        stop.wait()
    finally:
        handler.close()
        if http is not None:
            _stop_server(*http)
        _finish(app, services, on_stop)


def serve_events(
    app: App,
    services: Services,
    stop: StopSignal | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Apply queued Slack events (an ``alignbot events`` process) until stopped, or until
    ``keep_going`` says the bot that started this process is gone."""
    stop = stop or StopSignal()
    secret = services.settings.slack_signing_secret
    pump = EventPump(app, EventQueue(services.redis), secret, keep_going=keep_going).start()
    log.info("alignbot event process %s taking Slack events", pump.consumer)
    try:
        while not stop.event.wait(0.2) and not pump.stopped:
            pass
    finally:
        pump.stop()
        _finish(app, services, None)


def _finish(app: App, services: Services, on_stop: StopHook | None) -> None:
    try:
        # Before Redis closes: whatever the hook stops may still write to it on the way out.
        if on_stop is not None:
            on_stop()
        shutdown_listeners(app, wait=True)
    finally:
        services.close()
    log.info("alignbot stopped")


def run(
    services: Services,
    app: App,
    on_stop: StopHook | None = None,
    api: WsgiApp | None = None,
    **kwargs: Any,
) -> None:
    """Serve in the mode the settings choose, stopping on SIGTERM or SIGINT.

    ``on_stop`` runs once the server takes no more requests and before Redis is closed;
    ``api`` is served under ``/api/`` in either mode.
    """
    stop = StopSignal()
    stop.install()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    if services.settings.socket_mode:
        serve_socket_mode(app, services, stop=stop, on_stop=on_stop, api=api)
    else:
        serve_http(app, services, stop=stop, on_stop=on_stop, api=api, **kwargs)
