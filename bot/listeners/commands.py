"""The `/align` slash command: ack at once, then do the work in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.listeners.dispatch import handle_text
from bot.listeners.origin import from_command
from bot.services import Services

COMMAND = "/align"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def handle(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        handle_text(services, from_command(body, context, client), str(body.get("text") or ""))

    app.command(COMMAND)(ack=acknowledge, lazy=[handle])
