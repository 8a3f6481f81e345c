"""`@alignbot run NAME key=value`: the slash commands, said in a channel or a thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands import strip_leading_mention
from bot.listeners.dispatch import handle_text
from bot.listeners.origin import from_mention
from bot.services import Services


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def handle(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        text = strip_leading_mention(str(event.get("text") or ""), context.bot_user_id)
        handle_text(services, from_mention(event, context, client), text)

    app.event("app_mention")(ack=acknowledge, lazy=[handle])
