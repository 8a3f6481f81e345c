"""The embedded Redis: persisted in the data directory, shared by processes that use it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.fakes.bot_harness import REPO_ROOT, wait_until

# A child process that opens the embedded Redis the way the bot does and obeys stdin lines:
# "set KEY VALUE", "get KEY", "url", "quit". Each answer is one stdout line.
CHILD = """
import sys
from pathlib import Path
from bot.redis_conn import open_embedded

connection = open_embedded(Path(sys.argv[1]))
client = connection.client()
print("ready", flush=True)
for line in sys.stdin:
    words = line.split()
    if words[0] == "set":
        client.set(words[1], words[2])
        print("ok", flush=True)
    elif words[0] == "get":
        print(client.get(words[1]), flush=True)
    elif words[0] == "url":
        print(connection.url, flush=True)
    elif words[0] == "quit":
        break
connection.close()
print("closed", flush=True)
"""


class Child:
    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data_dir)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._line()

    def quit(self) -> None:
        assert self.ask("quit") == "closed"
        assert self.process.wait(30) == 0


def redis_servers_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline", "cwd"]):
        try:
            if "redis-server" in (process.info["name"] or "") and process.cwd() == str(data_dir):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def children(tmp_path: Path) -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(10)
    for server in redis_servers_for((tmp_path / "data").resolve()):
        server.kill()


def test_data_survives_a_restart(tmp_path: Path, children: list[Child]) -> None:
    data_dir = tmp_path / "data"
    first = Child(data_dir)
    children.append(first)
    assert first.ask("set prompt:uses v1") == "ok"
    first.quit()
    # The server stops with its last client, and leaves its append-only file behind.
    wait_until(lambda: not redis_servers_for(data_dir.resolve()), what="the server to stop")
    assert list(data_dir.rglob("appendonly*.aof"))

    second = Child(data_dir)
    children.append(second)
    assert second.ask("get prompt:uses") == "v1"
    second.quit()


def test_two_processes_share_one_server(tmp_path: Path, children: list[Child]) -> None:
    data_dir = tmp_path / "data"
    bot, worker = Child(data_dir), None
    children.append(bot)
    worker = Child(data_dir)
    children.append(worker)

    assert bot.ask("url") == worker.ask("url")
    assert len(redis_servers_for(data_dir.resolve())) == 1
    assert bot.ask("set job:1 queued") == "ok"
    assert worker.ask("get job:1") == "queued"
    assert worker.ask("set job:1 done") == "ok"
    assert bot.ask("get job:1") == "done"

    # The first process leaving does not take the server from the second.
    bot.quit()
    assert worker.ask("get job:1") == "done"
    worker.quit()
    wait_until(lambda: not redis_servers_for(data_dir.resolve()), what="the server to stop")
