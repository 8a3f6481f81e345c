"""`@alignbot run NAME key=value`: the slash commands, said in a channel or a thread.

Slack delivers a message that mentions the bot twice, as ``app_mention`` and as ``message``, in
either order, and the apply-once middleware lets only the first through. So both shapes are
listened to here; whichever arrives first runs the command. Only messages that start with the
mention and a command word are taken: other mentions are conversation for other listeners.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands.prompts import addressed_command
from bot.commands.router import handle_text
from bot.services import Services
from bot.slack.origin import from_mention


def _command_text(event: dict[str, Any], context: BoltContext) -> str | None:
    return addressed_command(str(event.get("text") or ""), context.bot_user_id)


def register(app: App, services: Services) -> None:
    def is_command(event: dict[str, Any], context: BoltContext) -> bool:
        return _command_text(event, context) is not None

    def acknowledge(ack: Ack) -> None:
        ack()

    def handle(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        text = _command_text(event, context) or ""
        handle_text(services, from_mention(event, context, client), text)

    app.event("app_mention", matchers=[is_command])(ack=acknowledge, lazy=[handle])
    app.event({"type": "message", "subtype": None}, matchers=[is_command])(
        ack=acknowledge, lazy=[handle]
    )
