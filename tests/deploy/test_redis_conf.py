"""redis.conf: the settings that protect the bot's data, checked on paper and on a real Redis."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis

from tests.deploy.deploy_files import REDIS_CONF, all_k8s_resources, redis_directives
from tests.deploy.real_redis import (
    TEST_PASSWORD,
    config_for,
    redis_server,
    refuses_unauthenticated_clients,
)

DIRECTIVES = redis_directives(REDIS_CONF.read_text())


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


def crash(process_id: int, client: redis.Redis) -> None:
    """SIGKILL: no shutdown save, no final flush; only what was already written survives."""
    subprocess.run(["kill", "-KILL", str(process_id)], check=True)
    client.close()


def write_then_crash_then_read(data_dir: Path, extra: Sequence[str] = ()) -> dict[str, str]:
    config = config_for(data_dir)
    with redis_server(config, extra, password=TEST_PASSWORD) as (client, pid):
        client.hset("prompt:uses", mapping={"version": "3", "text": "Name uses of {item}."})
        crash(pid, client)
    with redis_server(config, extra, password=TEST_PASSWORD) as (client, _):
        stored = client.hgetall("prompt:uses")
    return {str(field): str(value) for field, value in stored.items()}


def test_a_real_redis_accepts_the_config(tmp_path: Path) -> None:
    with redis_server(config_for(tmp_path), password=TEST_PASSWORD) as (client, _):
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


def test_every_client_must_authenticate_with_a_password_kept_out_of_the_file() -> None:
    # On paper: protected mode stays on, and the password comes from the one included file the
    # deployments write from their secrets (a password written here would be in the repository).
    assert single("protected-mode") == ["yes"]
    assert "requirepass" not in DIRECTIVES
    assert "user" not in DIRECTIVES, "ACL users here would be outside the deployments' secrets"
    [include] = DIRECTIVES["include"]
    assert include[0].startswith("/run/")


def test_a_real_redis_with_the_config_refuses_clients_without_the_password(tmp_path: Path) -> None:
    assert refuses_unauthenticated_clients(config_for(tmp_path), password=TEST_PASSWORD)


def test_a_config_without_a_password_lets_anyone_in(tmp_path: Path) -> None:
    # The control for the test above: the shipped file as it was, without the include line.
    opened = re.sub(r"(?m)^include .*$", "", REDIS_CONF.read_text())
    opened = opened.replace("protected-mode yes", "protected-mode no")
    assert not refuses_unauthenticated_clients(config_for(tmp_path, text=opened), password=None)


def test_without_its_password_file_redis_does_not_start_at_all(tmp_path: Path) -> None:
    # A deployment that forgot the secret gets no Redis, rather than an open one.
    config = config_for(tmp_path, password=None)
    with pytest.raises(AssertionError, match="can't open config file"), redis_server(config):
        pass
