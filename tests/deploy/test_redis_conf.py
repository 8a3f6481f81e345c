"""redis.conf: the settings that protect the bot's data, checked on paper and on a real Redis."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.deploy.deploy_files import REDIS_CONF, all_k8s_resources, redis_directives
from tests.fakes.redis_server import redis_server_binary

DIRECTIVES = redis_directives(REDIS_CONF.read_text())
START_TIMEOUT_SECONDS = 10


def single(name: str) -> list[str]:
    values = DIRECTIVES[name]
    assert len(values) == 1, f"{name} is set {len(values)} times"
    return values[0]


def test_append_only_persistence_with_fsync_every_second() -> None:
    assert single("appendonly") == ["yes"]
    assert single("appendfsync") == ["everysec"]


def test_data_is_never_evicted() -> None:
    assert single("maxmemory-policy") == ["noeviction"]


# Redis size suffixes (kb = 1024, k = 1000) and Kubernetes quantity suffixes (Ki = 1024, k = 1000).
SIZE_FACTORS = {
    "": 1,
    "k": 1000, "kb": 1024, "ki": 1024,
    "m": 1000**2, "mb": 1024**2, "mi": 1024**2,
    "g": 1000**3, "gb": 1024**3, "gi": 1024**3,
}  # fmt: skip


def memory_bytes(text: str) -> int:
    match = re.fullmatch(r"(\d+)([a-zA-Z]*)", text)
    assert match, text
    return int(match[1]) * SIZE_FACTORS[match[2].lower()]


def test_memory_limit_leaves_room_below_the_kubernetes_container_limit() -> None:
    # Redis must refuse writes (noeviction) before the kernel kills it for exceeding the limit.
    redis_limit = memory_bytes(single("maxmemory")[0])
    statefulset = all_k8s_resources()[("StatefulSet", "alignbot-redis")]
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    container_limit = memory_bytes(container["resources"]["limits"]["memory"])
    assert 0 < redis_limit <= container_limit * 0.8


def config_for(data_dir: Path) -> Path:
    """The shipped redis.conf with only its data directory moved to a temporary one."""
    text = REDIS_CONF.read_text()
    rewritten, count = re.subn(r"(?m)^dir .*$", f"dir {data_dir}", text)
    assert count == 1
    path = data_dir / "redis.conf"
    path.write_text(rewritten)
    return path


@contextmanager
def redis_server(config: Path, extra: Sequence[str] = ()) -> Iterator[tuple[redis.Redis, int]]:
    """A real redis-server on a unix socket only (port 0: no TCP), yielding a client and its pid."""
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
    client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
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


def crash(process_id: int, client: redis.Redis) -> None:
    """SIGKILL: no shutdown save, no final flush; only what was already written survives."""
    subprocess.run(["kill", "-KILL", str(process_id)], check=True)
    client.close()


def write_then_crash_then_read(data_dir: Path, extra: Sequence[str] = ()) -> dict[str, str]:
    config = config_for(data_dir)
    with redis_server(config, extra) as (client, pid):
        client.hset("prompt:uses", mapping={"version": "3", "text": "Name uses of {item}."})
        crash(pid, client)
    with redis_server(config, extra) as (client, _):
        stored = client.hgetall("prompt:uses")
    return {str(field): str(value) for field, value in stored.items()}


def test_a_real_redis_accepts_the_config(tmp_path: Path) -> None:
    with redis_server(config_for(tmp_path)) as (client, _):
        live = {
            name: client.config_get(name)[name]
            for name in ("appendonly", "appendfsync", "maxmemory-policy", "dir")
        }
    assert live == {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "maxmemory-policy": "noeviction",
        "dir": str(tmp_path),
    }


def test_acknowledged_writes_survive_a_redis_crash(tmp_path: Path) -> None:
    assert write_then_crash_then_read(tmp_path) == {"version": "3", "text": "Name uses of {item}."}


def test_without_the_append_only_file_the_same_crash_loses_the_write(tmp_path: Path) -> None:
    # The control for the test above: it is the config's appendonly that keeps the data.
    assert write_then_crash_then_read(tmp_path, ["--appendonly", "no"]) == {}
