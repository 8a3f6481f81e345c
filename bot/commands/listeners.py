"""The `/align` slash command and commands said to the bot: ack at once, work in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands import mentions
from bot.commands.router import handle_text
from bot.services import Services
from bot.slack.origin import from_command

COMMAND = "/align"


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def handle(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        handle_text(services, from_command(body, context, client), str(body.get("text") or ""))

    app.command(COMMAND)(ack=acknowledge, lazy=[handle])
    mentions.register(app, services)
