"""Is a person in a channel? Asked of Slack, a page at a time, failing closed.

Used before the bot agrees to post somewhere on someone's behalf: a channel they are not in
(a private one above all) is not theirs to point the bot at. Any answer short of "yes, they are
a member" (an unknown channel, a missing scope, Slack being down) counts as "no".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# Slack's largest page; enough pages for a very large channel, and a bound on the calls.
PAGE_SIZE = 1000
MAX_PAGES = 50


def _pages(call: Callable[[str | None], Any], field: str) -> Iterator[list[Any]]:
    cursor = None
    for _ in range(MAX_PAGES):
        response = call(cursor)
        yield list(response.get(field) or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def channel_id(client: WebClient, channel: str) -> str | None:
    """The id of ``channel``: itself when it is an id, else a ``#name`` looked up among the
    public channels (private names cannot be checked, so they stay unknown)."""
    if not channel.startswith("#"):
        return channel
    name = channel[1:]
    try:
        pages = _pages(
            lambda cursor: client.conversations_list(
                types="public_channel", exclude_archived=True, limit=PAGE_SIZE, cursor=cursor
            ),
            "channels",
        )
        for page in pages:
            for found in page:
                if found.get("name") == name:
                    return str(found["id"])
    except SlackApiError as error:
        log.info("could not look up channel %s: %s", channel, error.response.get("error"))
    return None


def is_member(client: WebClient, channel: str, user: str) -> bool:
    """True only when Slack says ``user`` is in ``channel`` (an id)."""
    try:
        pages = _pages(
            lambda cursor: client.conversations_members(
                channel=channel, limit=PAGE_SIZE, cursor=cursor
            ),
            "members",
        )
        for page in pages:
            if user in page:
                return True
    except SlackApiError as error:
        log.info("could not list the members of %s: %s", channel, error.response.get("error"))
    return False
