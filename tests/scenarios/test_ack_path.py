"""Acks never wait on work: slow listener work runs in the background pool, apply-once claims
are made after the ack, and every subscribed event is acked even when no listener wants it."""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.app import LISTENER_THREADS, register_product
from bot.services import Services
from bot.transport import unhandled
from bot.transport.dedup import ApplyOnceExecutor, PendingClaim, build_dedup_middleware
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.probe_listeners import PROBE_COMMAND, SlowCommand
from tests.fakes.slack_emulator import BOT_USER_ID, TEAM_ID, SlackEmulator


def channel_message(text: str, ts: str = "1700000000.000100", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "U0PERSON1",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


def web_api_calls_after_start(slack: SlackEmulator) -> list[str]:
    # auth.test is the token check Bolt makes while the app is built.
    return [call.method for call in slack.calls if call.method != "auth.test"]


def test_slow_lazy_work_does_not_hold_up_the_acks_of_later_commands(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    command = SlowCommand()
    bot = in_process_bot(command.register)
    in_flight = LISTENER_THREADS + 4

    try:
        # Each one's work waits at the gate, so all of it is in flight at once; were it run in
        # the threads that run ack functions, the later acks would have no thread left.
        answers = [bot.command(f"slow {n}", command=PROBE_COMMAND) for n in range(in_flight)]
    finally:
        command.gate.set()

    assert [(a.status, a.body) for a in answers] == [(200, "working on it")] * in_flight
    slack.wait_for("chat.postMessage", count=in_flight)


def test_an_ordinary_channel_message_is_acked_and_nothing_is_posted(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    bot = in_process_bot(register_product)

    message = bot.event(channel_message("lunch at noon?"), event_id="Ev0PLAIN")
    mention = bot.event(
        {
            **channel_message(f"<@{BOT_USER_ID}> thanks!", ts="1700000000.000200"),
            "type": "app_mention",
        },
        event_id="Ev0THANKS",
    )

    # 200, not Bolt's 404 for requests no listener takes, which Slack would retry.
    assert (message.status, mention.status) == (200, 200)
    bot.finish_work()  # whatever either delivery started has finished
    assert web_api_calls_after_start(slack) == []


def test_a_left_over_shape_of_a_message_leaves_its_claim_to_the_wanted_shape(
    in_process_bot: Callable[..., InProcessBot],
    make_services: Callable[..., Services],
    slack: SlackEmulator,
) -> None:
    def echo_messages_only(app: App, services: Services) -> None:
        def echo(event: dict[str, Any], client: WebClient) -> None:
            client.chat_postMessage(channel=event["channel"], text=f"heard: {event['text']}")

        app.event("message")(echo)

    text = f"<@{BOT_USER_ID}> this answer is too long"
    mention = {**channel_message(text), "type": "app_mention"}
    # The mention, which nothing here wants, arrives first and is only acked; its listener
    # work has all finished before the other shape arrives (at a second bot on the same Redis).
    first = in_process_bot(echo_messages_only, unhandled.register)
    assert first.event(mention, event_id="Ev0MENTIONFIRST").status == 200
    first.finish_work()
    second = in_process_bot(echo_messages_only, unhandled.register, with_services=make_services())

    assert second.event(channel_message(text), event_id="Ev0MESSAGESECOND").status == 200

    # The message found its claim free, so it was applied.
    [post] = slack.wait_for("chat.postMessage")
    assert post.params["text"] == f"heard: {text}"


def test_one_of_two_claims_on_a_key_wins_and_callbacks_hear_the_outcome(
    redis_client: redis.Redis,
) -> None:
    first = PendingClaim(redis_client, lambda: ["claims:a", "claims:b"])
    repeat = PendingClaim(redis_client, lambda: ["claims:a"])
    heard: list[tuple[str, bool]] = []

    first.when_settled(lambda won: heard.append(("before", won)))
    assert first.won() is True
    assert first.won() is True  # asked again: the same answer, no second claim
    first.when_settled(lambda won: heard.append(("after", won)))
    repeat.when_settled(lambda won: heard.append(("repeat", won)))
    assert repeat.won() is False

    assert heard == [("before", True), ("after", True), ("repeat", False)]


def test_tasks_of_a_repeated_delivery_never_run(redis_client: redis.Redis) -> None:
    middleware = build_dedup_middleware(redis_client)
    executor = ApplyOnceExecutor(max_workers=4)
    ran: list[str] = []
    lock = threading.Lock()
    body = {"type": "event_callback", "event_id": "Ev0TWICE", "event": {"type": "x"}}

    def deliver(label: str) -> None:
        request = BoltRequest(body=json.dumps(body), headers={})
        request.context["team_id"] = TEAM_ID
        middleware.process(
            req=request, resp=BoltResponse(status=200), next=lambda: BoltResponse(status=200)
        )

        def task() -> None:
            with lock:
                ran.append(label)

        executor.submit(task)
        executor.submit(task)  # a second task of one delivery rides on the same claim

    # Each delivery is dispatched in a context of its own, as the server does.
    for label in ("first", "again"):
        contextvars.copy_context().run(deliver, label)
    executor.shutdown(wait=True)

    # Whichever delivery's task claims first wins (the pool may start either first); both tasks
    # of that one delivery run, and none of the other's.
    assert len(ran) == 2 and len(set(ran)) == 1
