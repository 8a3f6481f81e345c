"""Run a container health-check command on this machine, and a stub server for it to call.

The command is the one written in the deployment files; only the interpreter changes, from the
image's ``python`` to the one running the tests.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

# Generous: the command's own urlopen timeout (4 s) must fire first if anything hangs.
RUN_TIMEOUT_SECONDS = 30


def run_health_command(command: list[str], port: int) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with only PORT set, as a container would with PORT in its environment."""
    argv = [sys.executable if command[0] == "python" else command[0], *command[1:]]
    return subprocess.run(
        argv,
        env={"PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def unused_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class HealthStub:
    """Answers GET /healthz with ``status``; records the paths it was asked for."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.paths: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.paths.append(self.path)
                status = stub.status if self.path == "/healthz" else 404
                body = b"ok" if status == 200 else b"not ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler
