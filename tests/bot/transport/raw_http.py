"""HTTP spoken by hand over a socket, for requests no well-behaved client sends: bodies bigger
than they say, headers sent a byte at a time, answers read before the request is finished."""

from __future__ import annotations

import contextlib
import socket
import threading


def connect(port: int, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_status(sock: socket.socket) -> int | None:
    """The status code of the answer on ``sock``, or None when the server closed it silently."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            return None if not received else int(received.split()[1])
        received += chunk
    return int(received.split()[1])


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class Trickler:
    """Sockets that each send a request head one byte at a time and never finish it."""

    def __init__(self, port: int, count: int, interval: float = 0.2) -> None:
        self.sockets = [connect(port) for _ in range(count)]
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def start(self) -> Trickler:
        self._thread.start()
        return self

    def _trickle(self) -> None:
        head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100_000
        for position in range(len(head)):
            for sock in self.sockets:
                # An OSError: the server gave up on this one.
                with contextlib.suppress(OSError):
                    sock.send(head[position : position + 1])
            if self._stop.wait(self._interval):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()
