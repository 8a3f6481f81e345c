"""Socket Mode: the emulator's websocket pushes envelopes; the bot acks and then posts."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.services import Services
from tests.fakes.bot_harness import BotProcess, InProcessBot, wait_until
from tests.fakes.probe_listeners import PROBE_COMMAND, SlowCommand, register_echo
from tests.fakes.slack_emulator import APP_TOKEN, BOT_USER_ID, SlackEmulator
from tests.fakes.slack_signing import SlackSigner


def test_command_and_event_round_trip_in_process(
    in_process_bot: Callable[..., InProcessBot],
    make_services: Callable[..., Services],
    slack: SlackEmulator,
    signer: SlackSigner,
) -> None:
    command = SlowCommand()
    command.gate.set()
    services = make_services(SLACK_APP_TOKEN=APP_TOKEN)
    in_process_bot(command.register, register_echo, with_services=services)
    socket = slack.socket_mode

    command_id = socket.push(
        "slash_commands",
        signer.command_body("over the socket", command=PROBE_COMMAND),
        accepts_response_payload=True,
    )
    assert socket.wait_ack(command_id)["payload"] == {"text": "working on it"}

    event = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U0PERSON1",
        "text": f"<@{BOT_USER_ID}> hi",
        "ts": "1700000000.000300",
    }
    body = signer.event_body(event, event_id="Ev0SOCKET")
    first = socket.push("events_api", body)
    retried = socket.push("events_api", body, retry_attempt=1)
    socket.wait_ack(first)
    socket.wait_ack(retried)

    slack.wait_for("chat.postMessage", count=2)
    time.sleep(0.3)
    texts = sorted(m["text"] for m in slack.channel_messages("C0GENERAL"))
    assert texts == ["done: over the socket", f"heard app_mention: <@{BOT_USER_ID}> hi"]
    # The app-level token, not the bot token, opened the connection.
    opened = slack.calls_to("apps.connections.open")
    assert opened
    assert {c.headers["authorization"] for c in opened} == {f"Bearer {APP_TOKEN}"}


def test_bot_process_over_socket_mode_acks_and_answers(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator, signer: SlackSigner
) -> None:
    bot = bot_process(socket_mode=True)
    socket = slack.socket_mode

    command_id = socket.push(
        "slash_commands", signer.command_body("help"), accepts_response_payload=True
    )
    socket.wait_ack(command_id)
    mention = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U0PERSON1",
        "text": f"<@{BOT_USER_ID}> help",
        "ts": "1700000000.000400",
    }
    event_id = socket.push("events_api", signer.event_body(mention))
    socket.wait_ack(event_id)

    def answers() -> int:
        posted = [c for c in slack.calls if c.method.startswith("chat.post") and c.ok]
        return len(posted) >= 2 and len(posted)

    wait_until(answers, 15, what=f"two answers from the bot\n{bot.output()}")
    assert bot.stop() == 0
    assert not socket.connected
