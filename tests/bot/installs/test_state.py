"""OAuth states: issued signed, good once, only while fresh, consumed atomically."""

from __future__ import annotations

import threading

import redis

from bot.installs.state import RedisOAuthStateStore

SECRET = "s" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_state_is_good_once(redis_client: redis.Redis) -> None:
    store = RedisOAuthStateStore(redis_client, SECRET)
    state = store.issue()

    assert store.consume(state) is True
    assert store.consume(state) is False


def test_an_expired_state_is_refused_and_forgotten(redis_client: redis.Redis) -> None:
    clock = Clock()
    store = RedisOAuthStateStore(redis_client, SECRET, expiration_seconds=600, clock=clock)
    state = store.issue()
    clock.now += 601

    assert store.consume(state) is False
    clock.now -= 601
    assert store.consume(state) is False  # deleted on the refused attempt


def test_a_state_signed_with_another_secret_or_altered_is_refused(
    redis_client: redis.Redis,
) -> None:
    store = RedisOAuthStateStore(redis_client, SECRET)
    other = RedisOAuthStateStore(redis_client, "t" * 40)
    state = store.issue()
    issued, nonce, signature = state.split(".")

    assert other.consume(state) is False
    assert store.consume(f"{int(issued) + 1}.{nonce}.{signature}") is False
    assert store.consume("x" * 500) is False
    assert store.consume(state) is True  # none of the above spent it


def test_redis_holds_no_usable_state(redis_client: redis.Redis) -> None:
    state = RedisOAuthStateStore(redis_client, SECRET).issue()

    stored = "".join(str(key) + str(redis_client.get(key)) for key in redis_client.keys("*"))
    assert state not in stored and state.split(".")[1] not in stored


def test_one_of_many_concurrent_consumers_wins(redis_client: redis.Redis) -> None:
    store = RedisOAuthStateStore(redis_client, SECRET)
    state = store.issue()
    results: list[bool] = []
    start = threading.Barrier(8)

    def consume() -> None:
        start.wait()
        results.append(store.consume(state))

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
