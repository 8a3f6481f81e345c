"""Events over HTTP: acked on their signature, queued in Redis, applied by an event pump."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import redis

from bot.app import build_app
from bot.observability.metrics import BotMetrics
from bot.services import Services
from bot.transport.background import FULL_AT_TASKS, background_work_of, shutdown_listeners
from bot.transport.event_queue import BEAT_SECONDS, EventQueue, QueuedDelivery
from bot.transport.handoff import EventHandoff
from bot.transport.pump import EventPump
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.probe_listeners import register_echo
from tests.fakes.queued_events import queued_event
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slack_signing import SIGNING_SECRET, SlackRequest, SlackSigner

CHANNEL = "C0QUEUE01"
STALE_SECONDS = 6 * 60  # past Slack's five-minute window


def mention(text: str) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0PERSON1",
        "text": text,
        "channel": CHANNEL,
        "ts": f"{time.time():.6f}",
    }


def echoed(slack: SlackEmulator) -> list[str]:
    return [str(call.params.get("text")) for call in slack.calls_to("chat.postMessage")]


def test_an_event_is_acked_without_being_applied_and_applied_once_a_pump_runs(
    in_process_bot: Callable[..., InProcessBot],
    make_services: Callable[..., Services],
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot = in_process_bot(register_echo)
    bot.finish_work()  # this bot's pump stops: events can only wait in the queue now

    answer = bot.event(mention("first"), event_id="Ev0QUEUED1", retry_num=1)

    assert (answer.status, answer.body) == (200, "")
    queue = EventQueue(redis_client)
    assert queue.depth() == 1
    [raw] = redis_client.lrange(queue.key, 0, -1)
    queued = QueuedDelivery.from_json(str(raw))
    assert json.loads(queued.body)["event_id"] == "Ev0QUEUED1"
    assert queued.headers["x-slack-retry-num"] == "1"
    assert queued.headers["x-slack-retry-reason"] == "http_timeout"
    # Slack's signature travels with the body, for the event process to check again.
    assert set(queued.headers) >= {"x-slack-signature", "x-slack-request-timestamp"}
    assert echoed(slack) == []

    # Another bot on the same Redis (a restart, say) applies what was acked.
    later = in_process_bot(register_echo, with_services=make_services())
    wait_until(lambda: echoed(slack) == ["heard app_mention: first"], 10, what="the echo")
    later.finish_work()
    assert queue.depth() == 0


def test_forged_and_stale_events_are_refused_and_never_queued(
    in_process_bot: Callable[..., InProcessBot],
    signer: SlackSigner,
    redis_client: redis.Redis,
) -> None:
    bot = in_process_bot(register_echo)
    bot.finish_work()

    forged = bot.post(signer.event(mention("x"), secret="not-the-signing-secret"))
    stale = bot.post(signer.event(mention("x"), timestamp=int(time.time()) - STALE_SECONDS))
    unsigned = bot.post(SlackRequest(body=json.dumps(signer.event_body(mention("x"))), headers={}))

    assert (forged.status, stale.status, unsigned.status) == (401, 401, 401)
    assert EventQueue(redis_client).depth() == 0


def test_a_delivery_queued_long_ago_is_still_applied(
    in_process_bot: Callable[..., InProcessBot],
    slack: SlackEmulator,
    signer: SlackSigner,
    redis_client: redis.Redis,
) -> None:
    # Its signature is checked again, but not its age: by now its timestamp is far older than
    # the five minutes an HTTP request is given.
    delivery = queued_event(signer, mention("from before the outage"), age_seconds=3600)
    EventQueue(redis_client).put(delivery)

    bot = in_process_bot(register_echo)

    wait_until(lambda: echoed(slack) != [], 10, what="the old delivery to be applied")
    bot.finish_work()
    assert echoed(slack) == ["heard app_mention: from before the outage"]


def test_a_broken_queue_entry_is_logged_and_the_next_one_applied(
    in_process_bot: Callable[..., InProcessBot],
    slack: SlackEmulator,
    signer: SlackSigner,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = EventQueue(redis_client)
    redis_client.rpush(queue.key, "not json", json.dumps({"body": "{", "acked_at": 1.0}))
    queue.put(queued_event(signer, mention("after the broken ones")))

    with caplog.at_level(logging.ERROR, logger="bot.transport.pump"):
        bot = in_process_bot(register_echo)
        wait_until(lambda: echoed(slack) != [], 10, what="the good delivery")
        bot.finish_work()

    assert echoed(slack) == ["heard app_mention: after the broken ones"]
    dropped = [r.getMessage() for r in caplog.records if "dropping a queue entry" in r.message]
    assert len(dropped) == 2


def test_readiness_needs_a_running_event_pump(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot(register_echo)
    wait_until(lambda: bot.get("/readyz").status == 200, 10, what="the bot to be ready")

    bot.finish_work()  # its pump leaves, and no other runs on this Redis

    answer = bot.get("/readyz")
    assert (answer.status, answer.body) == (503, "no event process is running")


class _BrokenQueue(EventQueue):
    def put(self, delivery: QueuedDelivery) -> int:
        raise redis.ConnectionError("Redis went away")


def _call(handoff: EventHandoff, request: SlackRequest) -> tuple[str, bytes, list[dict[str, Any]]]:
    """Run ``handoff`` on ``request`` as a WSGI server would; what Bolt got, if anything."""
    body = request.body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in request.headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    statuses: list[str] = []
    reached_bolt: list[dict[str, Any]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    def bolt(env: dict[str, Any], respond: Callable[..., Any]) -> Iterable[bytes]:
        reached_bolt.append({"body": env["wsgi.input"].read()})
        respond("200 OK", [])
        return [b"from bolt"]

    answer = b"".join(handoff(environ, start_response, bolt))  # type: ignore[arg-type]
    return statuses[0], answer, reached_bolt


def test_an_event_that_cannot_be_queued_is_not_acked_so_slack_sends_it_again(
    redis_client: redis.Redis, signer: SlackSigner
) -> None:
    metrics = BotMetrics(redis_client)
    handoff = EventHandoff(SIGNING_SECRET, _BrokenQueue(redis_client), metrics)

    status, answer, reached_bolt = _call(handoff, signer.event(mention("lost?")))

    assert (status, answer) == ("503 Service Unavailable", b"try again")
    assert reached_bolt == []
    assert metrics.sample("alignbot_events_total", type="app_mention", outcome="queued") is None


def test_commands_go_to_bolt_with_their_body_intact_and_unsigned_events_go_nowhere(
    redis_client: redis.Redis, signer: SlackSigner
) -> None:
    queue = EventQueue(redis_client)
    handoff = EventHandoff(SIGNING_SECRET, queue, BotMetrics(redis_client))
    command = signer.command("help")
    forged = signer.event(mention("x"), secret="wrong")

    status, answer, reached_bolt = _call(handoff, command)
    assert (status, answer) == ("200 OK", b"from bolt")
    assert reached_bolt == [{"body": command.body.encode()}]

    status, _, reached_bolt = _call(handoff, forged)
    assert status == "401 Unauthorized"
    assert reached_bolt == []
    assert queue.depth() == 0


def test_a_pump_whose_process_is_full_leaves_deliveries_in_redis_until_it_has_room(
    services: Services, slack: SlackEmulator, signer: SlackSigner, redis_client: redis.Redis
) -> None:
    app = build_app(services, registrars=[register_echo])
    pool = background_work_of(app)
    gate = threading.Event()

    def held() -> None:
        gate.wait()

    for _ in range(FULL_AT_TASKS):
        pool.submit("held", held)
    queue = EventQueue(redis_client)
    queue.put(queued_event(signer, mention("later")))
    pump = EventPump(app, queue, SIGNING_SECRET).start()
    try:
        # Two beats of the pump: it is alive, and has not taken the delivery.
        wait_until(lambda: queue.live_consumers() == 1, 10, what="the pump's beat")
        time.sleep(2 * BEAT_SECONDS)
        assert queue.depth() == 1
        assert echoed(slack) == []

        gate.set()

        wait_until(lambda: echoed(slack) == ["heard app_mention: later"], 10, what="the echo")
        assert queue.depth() == 0
    finally:
        gate.set()
        pump.stop()
        shutdown_listeners(app)


def test_an_entry_written_to_redis_without_slacks_signature_is_dropped_unapplied(
    in_process_bot: Callable[..., InProcessBot],
    slack: SlackEmulator,
    signer: SlackSigner,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What someone who can write to Redis, but has no signing secret, can put in the queue.
    queue = EventQueue(redis_client)
    forged = queued_event(signer, mention("forged secret"), secret="guessed-secret")
    genuine = queued_event(signer, mention("genuine"))
    tampered = QueuedDelivery(
        body=genuine.body.replace("genuine", "tampered"),
        acked_at=genuine.acked_at,
        headers=genuine.headers,
    )
    unsigned = QueuedDelivery(body=genuine.body.replace("genuine", "unsigned"), acked_at=1.0)
    for delivery in (forged, tampered, unsigned, genuine):
        queue.put(delivery)

    with caplog.at_level(logging.ERROR, logger="bot.transport.pump"):
        bot = in_process_bot(register_echo)
        wait_until(lambda: echoed(slack) != [], 10, what="the genuine delivery")
        bot.finish_work()

    assert echoed(slack) == ["heard app_mention: genuine"]
    dropped = [r.getMessage() for r in caplog.records if "did not sign" in r.getMessage()]
    assert len(dropped) == 3
    # Logged without its body: that is whatever the writer chose to put in the log.
    assert not any(word in " ".join(dropped) for word in ("forged", "tampered", "unsigned"))
    assert redis_client.keys(f"{queue.processing_prefix}*") == []
