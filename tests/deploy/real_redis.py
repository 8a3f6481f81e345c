"""A real redis-server on the shipped redis.conf, for the deploy tests that need one running."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.deploy.deploy_files import REDIS_CONF
from tests.fakes.redis_server import redis_server_binary

START_TIMEOUT_SECONDS = 10
TEST_PASSWORD = "test-only-redis-password"


def config_for(data_dir: Path, password: str | None = TEST_PASSWORD, text: str = "") -> Path:
    """The shipped redis.conf (or ``text``) with its data directory moved to a temporary one, and
    the file it includes for its password written there, as a deployment writes it (with
    ``password``; none: the file is missing)."""
    text = text or REDIS_CONF.read_text()
    rewritten, count = re.subn(r"(?m)^dir .*$", f"dir {data_dir}", text)
    assert count == 1
    auth = data_dir / "auth.conf"
    rewritten = re.sub(r"(?m)^include .*$", f"include {auth}", rewritten)
    if password is not None:
        auth.write_text(f'requirepass "{password}"\n')
    path = data_dir / "redis.conf"
    path.write_text(rewritten)
    return path


@contextmanager
def redis_server(
    config: Path, extra: Sequence[str] = (), password: str | None = None
) -> Iterator[tuple[redis.Redis, int]]:
    """A real redis-server on a unix socket only (port 0: no TCP), yielding a client (with
    ``password``) and its pid."""
    socket_path = config.parent / "redis.sock"
    process = subprocess.Popen(
        [
            redis_server_binary(),
            str(config),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--daemonize", "no",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis(
        unix_socket_path=str(socket_path), password=password, decode_responses=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read().decode())  # type: ignore[union-attr]
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, FileNotFoundError):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield client, process.pid
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]


def refuses_unauthenticated_clients(config: Path, password: str | None) -> bool:
    """True when Redis on ``config`` (reached with ``password``, if any) answers nothing to a
    client that sends no password."""
    with redis_server(config, password=password) as (client, _):
        assert client.set("probe", "1")
        anonymous = redis.Redis(unix_socket_path=str(config.parent / "redis.sock"))
        try:
            anonymous.get("probe")
        except redis.AuthenticationError:
            return True
        finally:
            anonymous.close()
        return False
