"""The smallest Block Kit pieces, shared by every message and view the bot builds."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def plain_text(text: str) -> dict[str, Any]:
    """A plain-text object (button labels, titles), with emoji codes shown as emoji."""
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn_section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def mrkdwn_context(mrkdwn: str) -> Block:
    """Small grey text under a message's main content."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}
