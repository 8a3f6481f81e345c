"""Apply every Slack delivery once, however often and in however many shapes it arrives.

Slack redelivers an event when an ack is slow (with ``X-Slack-Retry-Num``), and one message that
mentions the bot arrives twice, as ``app_mention`` and as ``message``. Each is claimed in Redis
with ``SET NX EX`` before any listener sees it: the first claim wins, later copies are acked and
dropped. Claims expire, so Redis does not grow with history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import BoltResponse
from slack_bolt.context import BoltContext

from bot.keys import UnknownWorkspaceError, Workspace

log = logging.getLogger(__name__)

# Slack gives up redelivering after about an hour; a day leaves room for slow replays too.
CLAIM_TTL_SECONDS = 24 * 60 * 60

# Event types that stand for a posted message; the same message must be applied once across them.
MESSAGE_EVENT_TYPES = frozenset({"message", "app_mention"})


def claim_once(client: redis.Redis, key: str, ttl_seconds: int = CLAIM_TTL_SECONDS) -> bool:
    """True for the first caller to claim ``key`` within ``ttl_seconds``, False for all others."""
    return bool(client.set(key, "1", nx=True, ex=ttl_seconds))


def claim_keys(workspace: Workspace, body: dict[str, Any]) -> list[str]:
    """The apply-once keys an Events API body must win; empty for other kinds of request."""
    if body.get("type") != "event_callback":
        return []
    keys = workspace.keys
    claims = []
    if event_id := body.get("event_id"):
        claims.append(keys.seen_event(str(event_id)))
    event = body.get("event") or {}
    channel, ts = event.get("channel"), event.get("ts")
    if event.get("type") in MESSAGE_EVENT_TYPES and channel and ts:
        claims.append(keys.seen_message(str(channel), str(ts)))
    return claims


def build_dedup_middleware(client: redis.Redis) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that drops repeated deliveries with an empty 200 ack."""

    def apply_once(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        try:
            workspace = Workspace.from_context(context)
        except UnknownWorkspaceError:
            workspace = None
        claims = claim_keys(workspace, body) if workspace else []
        for key in claims:
            if not claim_once(client, key):
                log.info("dropping a repeated delivery (%s)", key.rsplit(":seen:", 1)[-1])
                # An ack stops Slack redelivering; no listener runs.
                return BoltResponse(status=200, body="")
        next()
        return None

    return apply_once
