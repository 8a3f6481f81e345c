"""Which events are people talking to the bot, and which are noise it must not act on.

The bot's own posts come back to it as events; acting on them would loop. Other bots' posts,
edits, deletions and channel bookkeeping (joins, topic changes) are not feedback either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = logging.getLogger(__name__)

# Message subtypes that carry something a person just said; every other subtype is ignored.
PERSON_MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})


def ignore_reason(event: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> str | None:
    """Why the bot should not act on ``event``, or None when a person caused it."""
    if bot_user_id and bot_user_id in (event.get("user"), event.get("user_id")):
        return "the bot's own action"
    if event.get("bot_id") or event.get("bot_profile"):
        return "own message" if bot_id and event.get("bot_id") == bot_id else "a bot's message"
    if event.get("type") == "message" and event.get("subtype") not in PERSON_MESSAGE_SUBTYPES:
        return f"message subtype {event.get('subtype')}"
    return None


class EventNoiseFilter(Middleware):
    """A Bolt global middleware that acks and drops events no person caused.

    A :class:`Middleware` rather than a function: Bolt calls it directly, where a function
    middleware first gets every argument it could ask for built, on every request's ack path.
    """

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        event = body.get("event") if body.get("type") == "event_callback" else None
        if isinstance(event, dict):
            reason = ignore_reason(event, req.context.bot_user_id, req.context.bot_id)
            if reason:
                log.debug("ignoring %s event: %s", event.get("type"), reason)
                return BoltResponse(status=200, body="")
        return next()


def build_event_filter_middleware() -> Middleware:
    return EventNoiseFilter()
