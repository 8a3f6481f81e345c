"""The `/align` slash command and commands said to the bot: ack at once, work in the background.

The work is handed to the background pool here rather than through Bolt's lazy listeners, so
that a pool with no room left can be told apart at the ack: the person then hears that the bot
is busy, instead of the command waiting in a queue that grows without bound.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands.prompts import addressed_command
from bot.commands.router import handle_text
from bot.services import Services
from bot.slack.blocks import error
from bot.slack.origin import Origin, from_command, from_mention
from bot.transport.background import BUSY_TEXT, BackgroundWork, PoolFullError

COMMAND = "/align"


def _hand_over(work: BackgroundWork, services: Services, origin: Origin, text: str) -> None:
    try:
        work.submit("command", handle_text, services, origin, text)
    except PoolFullError:
        origin.reply_private(error(BUSY_TEXT))


def _command_text(event: dict[str, Any], context: BoltContext) -> str | None:
    # A message with files is an upload (training, labelling, examples): the upload
    # listeners take it, with its file.
    if event.get("files"):
        return None
    return addressed_command(str(event.get("text") or ""), context.bot_user_id)


def register(app: App, services: Services, work: BackgroundWork) -> None:
    def slash_command(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        if not work.takes_commands():
            ack(text=BUSY_TEXT)
            return
        ack()
        origin = from_command(body, context, client)
        _hand_over(work, services, origin, str(body.get("text") or ""))

    app.command(COMMAND)(slash_command)
    _register_mentions(app, services, work)


def _register_mentions(app: App, services: Services, work: BackgroundWork) -> None:
    """`@alignbot run NAME key=value`: the slash commands, said in a channel or a thread.

    Slack delivers a message that mentions the bot twice, as ``app_mention`` and as ``message``,
    in either order, and the apply-once middleware lets only the first through. So both shapes
    are listened to here; whichever arrives first runs the command. Only messages that start
    with the mention and a command word are taken: other mentions are conversation for other
    listeners.
    """

    def is_command(event: dict[str, Any], context: BoltContext) -> bool:
        return _command_text(event, context) is not None

    def mention(ack: Ack, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        origin = from_mention(event, context, client)
        _hand_over(work, services, origin, _command_text(event, context) or "")

    app.event("app_mention", matchers=[is_command])(mention)
    app.event({"type": "message", "subtype": None}, matchers=[is_command])(mention)
