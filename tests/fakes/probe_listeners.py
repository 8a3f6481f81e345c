"""Tiny listeners for runtime tests: they echo what reached them into the channel, so a test
counts deliveries by counting ``chat.postMessage`` calls on the emulator."""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.keys import Workspace
from bot.services import Services

PROBE_COMMAND = "/probe"


def register_echo(app: App, services: Services) -> None:
    def echo_event(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(
            channel=event["channel"], text=f"heard {event['type']}: {event.get('text', '')}"
        )

    app.event("app_mention")(echo_event)
    app.event("message")(echo_event)

    def echo_reaction(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(
            channel=event["item"]["channel"], text=f"heard reaction {event['reaction']}"
        )

    app.event("reaction_added")(echo_reaction)


class SlowCommand:
    """``/probe``: acks at once, then does slow work (a lazy listener) that waits for a gate,
    so a test can prove the ack came back before the work finished."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.workspaces: list[Workspace] = []

    def register(self, app: App, services: Services) -> None:
        def ack_now(ack: Ack) -> None:
            ack("working on it")

        def work(body: dict[str, Any], context: Any, client: WebClient) -> None:
            self.workspaces.append(Workspace.from_context(context))
            self.gate.wait(10)
            client.chat_postMessage(channel=body["channel_id"], text=f"done: {body['text']}")

        app.command(PROBE_COMMAND)(ack=ack_now, lazy=[work])
