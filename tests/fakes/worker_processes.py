"""``alignbot worker`` processes for tests that kill one mid-job, each the leader of its own
process group so a kill takes everything it started with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.bot_harness import REPO_ROOT

LEASE_SECONDS = "1.5"


class Workers:
    """``alignbot worker`` processes, each the leader of its own process group."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = {**env, "ALIGN_TRAIN_LEASE_SECONDS": LEASE_SECONDS, "PYTHONPATH": str(REPO_ROOT)}
        self.workdir = workdir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"worker{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker"],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def kill_group(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.workdir.glob("worker*.log"))
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
