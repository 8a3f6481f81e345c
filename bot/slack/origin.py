"""Who asked, where, and how to answer them privately: one shape for commands, mentions and forms.

Slash commands answer through their ``response_url``, which works even in channels the bot is
not in. Mentions and form submissions have no such URL (unless a form carried its command's
along), so they answer with ``chat.postEphemeral``, falling back to a direct message when the bot
cannot post in the channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.keys import Workspace
from bot.slack.blocks import Message
from bot.slack.external import command_is_external, event_is_external

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """A request's workspace, person and place, plus the means to open forms and reply."""

    workspace: Workspace
    user: str
    channel: str
    client: WebClient
    thread_ts: str | None = None  # set when the request was made inside a thread
    trigger_id: str | None = None  # set when a form can be opened in answer
    response_url: str | None = None  # a slash command's private reply channel
    # From another organization (Slack Connect): see ``bot.slack.external``.
    external: bool = False

    @property
    def can_open_forms(self) -> bool:
        return self.trigger_id is not None

    def reply_private(self, message: Message) -> None:
        """Show ``message`` to the person who asked, and only to them."""
        if self.response_url and self._reply_by_url(message):
            return
        if self._reply_ephemeral(message):
            return
        try:
            self.client.chat_postMessage(channel=self.user, **message.as_kwargs())
        except SlackApiError as error:
            # Nowhere left to say it; the log is the last witness.
            log.error("could not reach %s at all (%s): %s", self.user, _code(error), message.text)

    def _reply_ephemeral(self, message: Message) -> bool:
        try:
            self.client.chat_postEphemeral(
                channel=self.channel,
                user=self.user,
                thread_ts=self.thread_ts,
                **message.as_kwargs(),
            )
        except SlackApiError as error:
            log.info("ephemeral reply failed (%s); sending a direct message", _code(error))
            return False
        return True

    def _reply_by_url(self, message: Message) -> bool:
        assert self.response_url is not None
        try:
            response = WebhookClient(self.response_url).send(
                response_type="ephemeral", replace_original=False, **message.as_kwargs()
            )
        except OSError as error:
            log.warning("response_url unreachable: %s", error)
            return False
        if response.status_code != 200:
            log.warning("response_url answered %s: %s", response.status_code, response.body)
            return False
        return True


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error", "")) if error.response is not None else ""


def slack_error_code(error: SlackApiError) -> str:
    """The ``error`` field of a failed Web API call, e.g. ``not_in_channel``."""
    return _code(error)


def from_command(body: dict[str, Any], context: Any, client: WebClient) -> Origin:
    return Origin(
        workspace=Workspace.from_context(context),
        user=str(body["user_id"]),
        channel=str(body["channel_id"]),
        client=client,
        trigger_id=body.get("trigger_id"),
        response_url=body.get("response_url"),
        external=command_is_external(body, context),
    )


def from_mention(event: dict[str, Any], context: Any, client: WebClient) -> Origin:
    return Origin(
        workspace=Workspace.from_context(context),
        user=str(event["user"]),
        channel=str(event["channel"]),
        client=client,
        thread_ts=event.get("thread_ts"),
        external=event_is_external({}, event, context),
    )
