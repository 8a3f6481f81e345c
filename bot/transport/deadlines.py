"""The HTTP server, with deadlines for reading a request so that slow clients cannot hold it.

cheroot waits for idle keep-alive connections in a selector, without a thread; but once the
first byte of a request arrives a worker thread reads the rest, and its ``timeout`` bounds each
read, not the request. A client sending one header byte every few seconds would keep a thread
for as long as it likes, and a handful of them would take every thread, leaving Slack's events
and the probes waiting. So each request gets a deadline for its head and then one for its body:
a watchdog thread shuts the reading side of a connection that overstays, which ends the blocked
read at once. Writing still works, so a request that was read in time is still answered.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi

# Slack sends a request's head in one packet; any client on a working network needs far less.
HEADER_SECONDS = 5.0
# Bodies are at most 2 MiB (see ``bot.transport.body``); Slack's are a few KiB.
BODY_SECONDS = 10.0
CHECK_INTERVAL_SECONDS = 0.25


class Deadlines:
    """Sockets with a time by which their current read must be done; a thread enforces them."""

    def __init__(self) -> None:
        self._due: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="alignbot-deadlines", daemon=True)

    def arm(self, sock: socket.socket, seconds: float) -> None:
        with self._lock:
            self._due[sock] = time.monotonic() + seconds

    def disarm(self, sock: socket.socket) -> None:
        with self._lock:
            self._due.pop(sock, None)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_INTERVAL_SECONDS):
            now = time.monotonic()
            with self._lock:
                late = [sock for sock, due in self._due.items() if due <= now]
                for sock in late:
                    del self._due[sock]
            for sock in late:
                # An OSError: its worker already closed it.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)


class _DeadlineRequest(cheroot_server.HTTPRequest):
    server: Server

    def parse_request(self) -> None:
        deadlines, sock = self.server.deadlines, self.conn.socket
        deadlines.arm(sock, HEADER_SECONDS)
        try:
            super().parse_request()
        except BaseException:
            deadlines.disarm(sock)
            raise
        if self.ready:
            deadlines.arm(sock, BODY_SECONDS)
        else:
            deadlines.disarm(sock)

    def respond(self) -> None:
        try:
            super().respond()
        finally:
            self.server.deadlines.disarm(self.conn.socket)


class _DeadlineConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _DeadlineRequest


class Server(wsgi.Server):
    """cheroot's WSGI server with read deadlines (see the module's docstring)."""

    ConnectionClass = _DeadlineConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = Deadlines()

    def prepare(self) -> None:
        super().prepare()
        self.deadlines.start()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.deadlines.stop()
