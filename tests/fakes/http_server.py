"""The machinery shared by the fake model servers: a real HTTP server on 127.0.0.1 in a thread.

It records every request, answers from a queue of scripted replies (or a ``responder`` callable
when the queue is empty), can hold an answer back to simulate a hanging server, and tracks the
peak number of requests in flight. Each fake subclass turns its own reply type into wire JSON.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

ReplyT = TypeVar("ReplyT")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None when the body was empty or not JSON


@dataclass(frozen=True)
class WireReply:
    """Exactly what goes back over the socket."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Set: a server-sent-events answer instead of ``body``, one event every ``event_delay``
    # seconds; with ``cut_after`` the connection is dropped after that many events, mid-answer.
    events: tuple[Any, ...] | None = None
    event_delay: float = 0.0
    cut_after: int | None = None


_TOKEN = re.compile(r"\s*\S+\s*|\s+")


def tokens(text: str) -> list[str]:
    """``text`` cut into word-sized pieces (spaces kept), as a model streams it."""
    return _TOKEN.findall(text)


class FakeHTTPServer(Generic[ReplyT]):
    """Base class; subclasses implement ``render`` (and may override ``handles``)."""

    def __init__(self, responder: Callable[[RecordedRequest], ReplyT | str] | None = None) -> None:
        self.responder = responder
        self._replies: deque[ReplyT] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._in_flight = 0
        self.peak_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps ``close`` (which waits for the serve loop) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- what subclasses provide -------------------------------------------------------------

    def render(self, reply: ReplyT, request: RecordedRequest) -> WireReply:
        raise NotImplementedError

    def text_reply(self, text: str) -> ReplyT:
        """Wrap a plain-text answer from a responder in the subclass's reply type."""
        raise NotImplementedError

    def handles(self, request: RecordedRequest) -> bool:
        """Whether the path is one the fake serves; others get a 404 without using the queue."""
        return True

    # --- test-facing API ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def enqueue(self, reply: ReplyT) -> None:
        with self._lock:
            self._replies.append(reply)

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers that are holding an answer back
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------------------

    def _next_reply(self, request: RecordedRequest) -> WireReply:
        with self._lock:
            scripted = self._replies.popleft() if self._replies else None
        if scripted is not None:
            return self.render(scripted, request)
        if self.responder is not None:
            answer = self.responder(request)
            reply = self.text_reply(answer) if isinstance(answer, str) else answer
            return self.render(reply, request)
        return WireReply(400, {"error": {"message": "fake server: nothing scripted for this"}})

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        request = RecordedRequest(
            method=handler.command,
            path=handler.path,
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if self.handles(request):
                wire = self._next_reply(request)
            else:
                wire = WireReply(404, {"error": {"message": f"no route for {request.path}"}})
            if wire.delay and self._closing.wait(wire.delay):
                return
            if wire.events is not None:
                self._send_events(handler, wire)
                return
            payload = json.dumps(wire.body).encode()
            handler.send_response(wire.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in wire.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing left to answer
        finally:
            with self._lock:
                self._in_flight -= 1

    def _send_events(self, handler: BaseHTTPRequestHandler, wire: WireReply) -> None:
        """Send ``wire.events`` as server-sent events in a chunked body, paced and maybe cut."""
        assert wire.events is not None
        handler.send_response(wire.status)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in wire.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        for sent, event in enumerate(wire.events):
            if wire.cut_after is not None and sent >= wire.cut_after:
                # Drop the connection with the body unfinished, as a failing server does.
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if sent and wire.event_delay and self._closing.wait(wire.event_delay):
                return
            data = event if isinstance(event, str) else json.dumps(event)
            chunk = f"data: {data}\n\n".encode()
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler
