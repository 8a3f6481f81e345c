"""Taken events are leased, not removed: what a gone event process held goes back to the queue,
its unfinished apply-once claims may be taken over, and a live slow one keeps its own."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from bot.app import build_app
from bot.keys import Workspace
from bot.services import Services
from bot.transport.background import shutdown_listeners
from bot.transport.dedup import DONE, PendingClaim, claim_once
from bot.transport.delivery_work import ClaimLease, DeliveryWork, set_current_work
from bot.transport.event_queue import EventQueue
from bot.transport.pump import EventPump
from tests.fakes.bot_harness import wait_until
from tests.fakes.held_events import STARTED_KEY, HeldEcho
from tests.fakes.probe_listeners import register_echo
from tests.fakes.queued_events import queued_event
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slack_signing import SIGNING_SECRET, SlackSigner

CHANNEL = "C0LEASE01"
LEASE_SECONDS = 2.0


def mention(n: int) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0PERSON1",
        "text": f"event {n}",
        "channel": CHANNEL,
        "ts": f"1700000000.{n:06d}",
    }


def posts(slack: SlackEmulator) -> list[str]:
    return [str(call.params.get("text")) for call in slack.calls_to("chat.postMessage")]


def test_a_gone_consumers_events_go_back_to_the_head_of_the_queue_in_order(
    redis_client: redis.Redis,
) -> None:
    queue = EventQueue(redis_client, gone_seconds=LEASE_SECONDS)
    now = time.time()
    for entry in ["a", "b", "c", "d"]:
        redis_client.rpush(queue.key, entry)
    queue.beat("gone", now=now - 3 * LEASE_SECONDS)
    queue.beat("alive", now=now)
    assert (queue.take("gone", 1), queue.take("gone", 1)) == ("a", "b")
    assert queue.take("alive", 1) == "c"

    assert queue.reclaim(now=now) == 2

    assert redis_client.lrange(queue.key, 0, -1) == ["a", "b", "d"]
    assert queue.taken("gone") == 0
    assert queue.taken("alive") == 1  # a live consumer's work is its own
    assert queue.live_consumers(now=now) == 1
    assert queue.reclaim(now=now) == 0  # the gone one is forgotten with its work put back


def test_a_consumer_leaving_with_unfinished_work_stays_listed_until_reclaimed(
    redis_client: redis.Redis,
) -> None:
    queue = EventQueue(redis_client, gone_seconds=LEASE_SECONDS)
    redis_client.rpush(queue.key, "x")
    queue.beat("busy")
    queue.beat("idle")
    assert queue.take("busy", 1) == "x"

    queue.leave("busy")
    queue.leave("idle")

    assert redis_client.zrange(queue.consumers_key, 0, -1) == ["busy"]
    assert queue.reclaim(now=time.time() + 2 * LEASE_SECONDS) == 1
    assert redis_client.lrange(queue.key, 0, -1) == ["x"]


@pytest.fixture
def lease_of(redis_client: redis.Redis) -> Callable[[str], ClaimLease]:
    queue = EventQueue(redis_client, gone_seconds=LEASE_SECONDS)
    return lambda owner: ClaimLease(owner, queue.consumers_key, queue.gone_seconds)


def claim(client: redis.Redis, keys: list[str], lease: ClaimLease | None) -> PendingClaim:
    return PendingClaim(client, lambda: keys, lease)


def test_a_claim_is_taken_over_only_from_a_gone_owner_whose_work_never_ended(
    redis_client: redis.Redis, lease_of: Callable[[str], ClaimLease]
) -> None:
    keys = Workspace("T0LEASE").keys
    event, message = keys.seen_event("Ev1"), keys.seen_message(CHANNEL, "1.2")
    queue = EventQueue(redis_client, gone_seconds=LEASE_SECONDS)
    queue.beat("first")

    assert claim(redis_client, [event, message], lease_of("first")).won()
    # While its owner beats, nobody else (nor the owner again) wins it.
    assert not claim(redis_client, [event], lease_of("second")).won()
    assert not claim(redis_client, [message], lease_of("first")).won()

    queue.beat("first", now=time.time() - 3 * LEASE_SECONDS)  # it stops beating
    taken = claim(redis_client, [event, message], lease_of("second"))
    assert taken.won()

    taken.finish()
    assert redis_client.mget([event, message]) == [DONE, DONE]
    assert redis_client.ttl(event) > 0
    # Done is done, whoever asks and whether or not its owner lives.
    assert not claim(redis_client, [event], lease_of("third")).won()


def test_claims_without_an_owner_are_never_taken_over(
    redis_client: redis.Redis, lease_of: Callable[[str], ClaimLease]
) -> None:
    # Socket Mode and upload claims name no owner: nothing can tell whether their work ended.
    key = Workspace("T0LEASE").keys.seen_event("Ev2")
    assert claim(redis_client, [key], None).won()
    assert not claim(redis_client, [key], lease_of("any")).won()


def test_a_claim_lost_on_one_key_takes_none(
    redis_client: redis.Redis, lease_of: Callable[[str], ClaimLease]
) -> None:
    keys = Workspace("T0LEASE").keys
    event, message = keys.seen_event("Ev3"), keys.seen_message(CHANNEL, "3.4")
    redis_client.set(message, DONE)

    assert not claim(redis_client, [event, message], lease_of("first")).won()
    assert redis_client.get(event) is None


def claim_in_work(client: redis.Redis, key: str, work: DeliveryWork) -> bool:
    """``claim_once`` as a listener working on a queued delivery calls it."""

    def claim() -> bool:
        set_current_work(work)
        return claim_once(client, key)

    return contextvars.copy_context().run(claim)


def test_a_claim_made_while_working_on_a_delivery_is_that_deliverys(
    redis_client: redis.Redis, lease_of: Callable[[str], ClaimLease]
) -> None:
    # An upload's file claim, say: taken over with its delivery, done when its work ends.
    key = Workspace("T0LEASE").keys.seen("upload", "F1", "1.2")
    queue = EventQueue(redis_client, gone_seconds=LEASE_SECONDS)
    queue.beat("killed", now=time.time() - 3 * LEASE_SECONDS)
    queue.beat("next")
    killed = DeliveryWork(lease_of("killed"), on_end=lambda: None)
    assert claim_in_work(redis_client, key, killed)

    ended: list[str] = []
    again = DeliveryWork(lease_of("next"), on_end=lambda: ended.append("ended"))
    assert claim_in_work(redis_client, key, again)
    assert not claim_in_work(redis_client, key, DeliveryWork(lease_of("third"), lambda: None))
    again.end()

    assert ended == ["ended"]
    assert redis_client.get(key) == DONE
    assert not claim_once(redis_client, key)  # outside any delivery too


@pytest.fixture
def pumps(services: Services) -> Iterator[Callable[..., EventPump]]:
    started: list[EventPump] = []

    def start(registrar: Callable[..., None]) -> EventPump:
        app = build_app(services, registrars=[registrar])
        queue = EventQueue(services.redis, gone_seconds=LEASE_SECONDS)
        pump = EventPump(app, queue, SIGNING_SECRET).start()
        started.append(pump)
        return pump

    yield start
    for pump in started:
        pump.stop()
        shutdown_listeners(pump.app)


def test_a_live_slow_consumers_events_are_not_taken_from_it(
    pumps: Callable[..., EventPump],
    slack: SlackEmulator,
    signer: SlackSigner,
    redis_client: redis.Redis,
) -> None:
    release = threading.Event()
    slow = pumps(HeldEcho(release.is_set, prefix="slow").register)
    for n in range(3):
        slow.queue.put(queued_event(signer, mention(n)))
    wait_until(lambda: redis_client.llen(STARTED_KEY) == 3, 10, what="the slow consumer")
    try:
        fast = pumps(register_echo)
        # Several leases long: the slow consumer keeps beating, so its events stay its own.
        time.sleep(3 * LEASE_SECONDS)
        assert fast.queue.live_consumers() == 2
        assert slow.queue.taken(slow.consumer) == 3
        assert posts(slack) == []
    finally:
        release.set()

    wait_until(lambda: len(posts(slack)) >= 3, 10, what="the slow consumer's posts")
    time.sleep(0.5)  # room for a late duplicate to show
    assert sorted(posts(slack)) == [f"slow app_mention: event {n}" for n in range(3)]
    wait_until(lambda: slow.queue.taken(slow.consumer) == 0, 10, what="the work to be forgotten")
    assert slow.unfinished == 0


def test_a_stopped_pump_keeps_its_lease_until_its_work_ends(
    pumps: Callable[..., EventPump],
    slack: SlackEmulator,
    signer: SlackSigner,
    redis_client: redis.Redis,
) -> None:
    release = threading.Event()
    slow = pumps(HeldEcho(release.is_set, prefix="slow").register)
    slow.queue.put(queued_event(signer, mention(1)))
    wait_until(lambda: redis_client.llen(STARTED_KEY) == 1, 10, what="the slow consumer")

    slow.stop(timeout=0.1)  # as on SIGTERM: no more taken, work in hand finished
    time.sleep(2 * LEASE_SECONDS)
    assert slow.queue.live_consumers() == 1
    release.set()

    wait_until(lambda: posts(slack) == ["slow app_mention: event 1"], 10, what="the post")
    wait_until(lambda: slow.queue.live_consumers() == 0, 10, what="the pump to leave")
    assert slow.queue.taken(slow.consumer) == 0
