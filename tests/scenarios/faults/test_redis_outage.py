"""Redis killed with SIGKILL (append-only file, ``appendfsync always``) and started again while
the bot runs: commands in between are told to try again, the bot reconnects by itself, and
everything stored before the kill is still there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from bot.keys import is_bookkeeping
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.redis_server import RedisServer
from tests.fakes.slash_commands import Person, ResponseUrlServer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis", appendfsync="always") as started:
        yield started


def everything(client: redis.Redis) -> dict[str, object]:
    """Every key with its type and contents: a whole-database snapshot to compare."""
    snapshot: dict[str, object] = {}
    for key in sorted(str(found) for found in client.keys("*")):
        if is_bookkeeping(key):
            continue  # counts and beats, which this very test keeps adding to
        kind = client.type(key)
        if kind == "string":
            snapshot[key] = client.get(key)
        elif kind == "hash":
            snapshot[key] = client.hgetall(key)
        elif kind == "list":
            snapshot[key] = client.lrange(key, 0, -1)
        elif kind == "set":
            snapshot[key] = sorted(client.smembers(key))
        elif kind == "zset":
            snapshot[key] = client.zrange(key, 0, -1, withscores=True)
        else:
            snapshot[key] = kind
    return snapshot


def test_the_bot_rides_out_a_redis_crash(
    bot_process: Callable[..., BotProcess], fake_gemini: FakeGemini, server: RedisServer
) -> None:
    with ResponseUrlServer() as responses:
        bot = bot_process(model_env=fake_gemini.env, REDIS_URL=server.url)
        person = Person(bot, responses)
        assert "version 1" in person.ask("new uses Give three uses for {item}.")
        assert "version 2" in person.ask("edit uses Give five uses for {item}.")
        fake_gemini.queue("cut, fold, open")
        person.send("run uses item=scissors")
        client = server.client()
        wait_until(lambda: client.keys("alignbot:ws:*:run:*"), 15, what="the run to be saved")
        before = everything(client)
        client.close()

        server.kill()

        # Commands while Redis is down: a clear answer, nothing half-done.
        for command in ("show uses", "new other Hello {name}.", "run uses item=glue"):
            answer = person.ask(command)
            assert "Try again" in answer, (command, answer)
        assert bot.get("/readyz").status == 503
        assert bot.get("/healthz").status == 200  # alive: no restart wanted, just not ready

        server.start()  # same port, same files: the append-only file is replayed

        wait_until(lambda: bot.get("/readyz").status == 200, 15, what="the bot to be ready again")
        shown = person.ask("show uses")
        assert "version 2" in shown and "Give five uses for {item}." in shown
        assert "version 1" in person.ask("new other Hello {name}.")
        client = server.client()
        after = everything(client)
        client.close()

    # Nothing acknowledged before the kill was lost: every key is back, holding what it held
    # (lists and hashes the later commands added to still start with, or contain, the old).
    for key, old in before.items():
        assert key in after, key
        assert kept(old, after[key]), (key, old, after[key])
    assert bot.stop() == 0


def kept(old: object, new: object) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return new[: len(old)] == old
    if isinstance(old, dict) and isinstance(new, dict):
        return all(new.get(field) == value for field, value in old.items())
    return old == new
