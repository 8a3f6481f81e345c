"""Every delivery is applied once; the bot's own, other bots', edited and deleted messages never.

Runs the product's app and HTTP server in-process with echo listeners (one chat.postMessage
per delivery that reached a listener), sending signed requests over real HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.fakes.bot_harness import InProcessBot
from tests.fakes.probe_listeners import register_echo
from tests.fakes.slack_emulator import BOT_ID, BOT_USER_ID, SlackEmulator
from tests.fakes.slack_signing import SlackSigner


def person_message(text: str, ts: str = "1700000000.000100", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C0GENERAL",
        "user": "U0PERSON1",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


def settle_then_count(slack: SlackEmulator, expected: int) -> int:
    """Wait for the expected posts, then a little longer so a late duplicate would show."""
    slack.wait_for("chat.postMessage", count=expected)
    time.sleep(0.3)
    return len(slack.calls_to("chat.postMessage"))


def test_same_event_id_twice_and_a_retry_are_applied_once(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator, signer: SlackSigner
) -> None:
    bot = in_process_bot(register_echo)
    event = person_message("hello there")

    first = bot.event(event, event_id="Ev0SAME")
    again = bot.event(event, event_id="Ev0SAME")
    retry = bot.event(event, event_id="Ev0SAME", retry_num=1)

    assert [first.status, again.status, retry.status] == [200, 200, 200]
    assert settle_then_count(slack, 1) == 1


def test_app_mention_and_message_for_one_ts_are_applied_once(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    bot = in_process_bot(register_echo)
    text = f"<@{BOT_USER_ID}> run uses"
    mention = {**person_message(text), "type": "app_mention"}

    bot.event(mention, event_id="Ev0MENTION")
    bot.event(person_message(text), event_id="Ev0MESSAGE")

    assert settle_then_count(slack, 1) == 1
    # A different message in the same channel is new and goes through.
    bot.event(person_message("another", ts="1700000000.000200"), event_id="Ev0OTHER")
    assert settle_then_count(slack, 2) == 2


def test_reactions_on_one_message_are_separate_deliveries(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    bot = in_process_bot(register_echo)
    item = {"type": "message", "channel": "C0GENERAL", "ts": "1700000000.000100"}
    for n, reaction in enumerate(["+1", "-1"]):
        bot.event(
            {"type": "reaction_added", "user": "U0PERSON1", "reaction": reaction, "item": item},
            event_id=f"Ev0REACT{n}",
        )
    assert settle_then_count(slack, 2) == 2


def test_same_event_id_in_two_workspaces_is_applied_in_each(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    bot = in_process_bot(register_echo)
    other = SlackSigner(team_id="T0OTHERTEAM")

    bot.event(person_message("hi"), event_id="Ev0SHARED")
    bot.post(other.event(person_message("hi"), event_id="Ev0SHARED"))

    assert settle_then_count(slack, 2) == 2


def test_own_other_bots_edited_and_deleted_messages_are_ignored(
    in_process_bot: Callable[..., InProcessBot], slack: SlackEmulator
) -> None:
    bot = in_process_bot(register_echo)
    ignored = [
        person_message("my own post", user=BOT_USER_ID, bot_id=BOT_ID),
        person_message("another bot", user="U0OTHERBOT", bot_id="B0OTHERBOT"),
        {**person_message("legacy bot"), "subtype": "bot_message", "bot_id": "B0LEGACY"},
        {
            **person_message(""),
            "subtype": "message_changed",
            "message": {"text": "edited", "user": "U0PERSON1", "ts": "1700000000.000100"},
        },
        {**person_message(""), "subtype": "message_deleted", "deleted_ts": "1700000000.0001"},
        {
            "type": "reaction_added",
            "user": BOT_USER_ID,
            "reaction": "eyes",
            "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.2"},
        },
    ]
    for n, event in enumerate(ignored):
        answer = bot.event({**event, "ts": f"1700000001.{n:06d}"})
        assert answer.status == 200  # acked, so Slack does not redeliver

    bot.event(person_message("a person speaks", ts="1700000002.000001"))
    posts = slack.wait_for("chat.postMessage")
    time.sleep(0.3)
    assert [c.params["text"] for c in slack.calls_to("chat.postMessage")] == [
        "heard message: a person speaks"
    ]
    assert len(posts) == 1
