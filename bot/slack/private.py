"""Telling one person, in the channel, something only they should see (refusals, mostly)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import Message

log = logging.getLogger(__name__)


def tell_privately(
    client: WebClient, channel: str, user: str, thread_ts: str | None, message: Message
) -> None:
    try:
        client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, **message.as_kwargs()
        )
    except SlackApiError as error:
        log.info("could not tell %s privately: %s", user, error.response.get("error"))
