"""The ``alignbot events`` processes a serving bot starts, watched and restarted when one dies.

They are children of the bot so that ``alignbot serve`` (and the deployments, which run only
that) stays the one command that runs the bot. Each child is told its parent's pid and stops
by itself if the parent is gone, so a bot killed outright leaves no process taking events.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

PARENT_PID_VARIABLE = "ALIGN_EVENTS_PARENT_PID"
EVENTS_COMMAND = (sys.executable, "-m", "bot.cli", "events")
# A child that keeps dying is restarted at most this often, so a broken set-up is not a storm.
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
STOP_TIMEOUT_SECONDS = 20.0


class EventProcesses:
    """``count`` event processes, kept running until :meth:`stop`."""

    def __init__(self, count: int, command: Sequence[str] = EVENTS_COMMAND) -> None:
        self.count = count
        self.command = list(command)
        self.children: list[subprocess.Popen[bytes]] = []
        self._failures = [0] * count
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> EventProcesses:
        self.children = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(
            target=self._watch, name="alignbot-events-watch", daemon=True
        )
        self._watcher.start()
        return self

    def _spawn(self) -> subprocess.Popen[bytes]:
        environment = {**os.environ, PARENT_PID_VARIABLE: str(os.getpid())}
        # Output goes where the bot's goes, so one log stream holds both.
        return subprocess.Popen(self.command, env=environment)

    def _watch(self) -> None:
        died_at: dict[int, float] = {}
        while not self._stopping.wait(0.5):
            for index, child in enumerate(self.children):
                code = child.poll()
                if code is None:
                    continue
                first_seen = died_at.setdefault(index, time.monotonic())
                tries = min(self._failures[index], len(RESTART_BACKOFF_SECONDS) - 1)
                if time.monotonic() - first_seen < RESTART_BACKOFF_SECONDS[tries]:
                    continue
                log.error("event process %s exited with %s; starting another", child.pid, code)
                self._failures[index] += 1
                del died_at[index]
                self.children[index] = self._spawn()

    def alive(self) -> int:
        return sum(child.poll() is None for child in self.children)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM every child (each finishes the work it started), then wait for them."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(2)
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("event process %s did not stop in %ss; killing it", child.pid, timeout)
                child.kill()
                child.wait(5)


def parent_alive() -> bool:
    """False once the bot that started this event process has exited (always True otherwise)."""
    expected = os.environ.get(PARENT_PID_VARIABLE)
    # An orphan is adopted by another process, so its parent pid changes.
    return expected is None or str(os.getppid()) == expected
