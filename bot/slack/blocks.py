"""The smallest Block Kit pieces, shared by every message and view the bot builds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.slack.chunking import escape_mrkdwn, split_for_sections, split_text
from bot.slack.mrkdwn import to_mrkdwn

Block = dict[str, Any]


def plain_text(text: str) -> dict[str, Any]:
    """A plain-text object (button labels, titles), with emoji codes shown as emoji."""
    return {"type": "plain_text", "text": text, "emoji": True}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A Block Kit button; ``style`` is "primary" or "danger" when given."""
    button: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def mrkdwn_section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def mrkdwn_context(mrkdwn: str) -> Block:
    """Small grey text under a message's main content."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


# Slack's limits for what the bot builds (https://api.slack.com/reference/block-kit).
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
SECTION_TEXT_LIMIT = 3000
# Room a code fence and its newlines take out of a section's 3,000 characters.
_FENCE_ROOM = 8


# An entity Slack already escaped (a message read back from Slack) is left as it is.
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def escape_fallback(text: str) -> str:
    """``text`` safe as a message's fallback: no ``<!channel>``, mention or link survives."""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut shown with a trailing "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped_preview(text: str, limit: int) -> str:
    """``text`` escaped for mrkdwn and at most ``limit`` characters long once escaped, cut at a
    word boundary with a trailing "…" when it does not fit (escaping can quadruple a length)."""
    pieces = split_for_sections(text, limit - 1)
    if len(pieces) == 1:
        return escape_mrkdwn(text)
    return escape_mrkdwn(pieces[0].rstrip()) + "…"


def _mrkdwn_length(markdown: str) -> int:
    return len(to_mrkdwn(markdown))


def markdown_preview(markdown: str, limit: int) -> str:
    """Markdown someone wrote as safe mrkdwn of at most ``limit`` characters, cut at a word
    boundary with a trailing "…" when it does not fit (conversion changes lengths)."""
    pieces = split_text(markdown, limit - 1, _mrkdwn_length)
    if len(pieces) == 1:
        return to_mrkdwn(markdown)
    return to_mrkdwn(pieces[0].rstrip()) + "…"


def mrkdwn_sections(mrkdwn: str) -> list[Block]:
    """Text already in mrkdwn as sections, split at line breaks to fit each one."""
    return [mrkdwn_section(piece) for piece in split_text(mrkdwn, SECTION_TEXT_LIMIT)]


def fit_blocks(blocks: list[Block], limit: int, where_to_see_all: str) -> list[Block]:
    """At most ``limit`` blocks; when some are dropped, the last says so and where to
    see everything, so a reader never mistakes a cut listing for the whole of it."""
    if len(blocks) <= limit:
        return blocks
    note = f"… the rest did not fit in one message. {where_to_see_all}"
    return [*blocks[: limit - 1], mrkdwn_context(shorten(note, SECTION_TEXT_LIMIT))]


def code_sections(escaped: str) -> list[Block]:
    """Already-escaped text as code-formatted sections, split at line breaks to fit each one."""
    pieces = split_text(escaped, SECTION_TEXT_LIMIT - _FENCE_ROOM)
    return [mrkdwn_section(f"```\n{piece}\n```") for piece in pieces]


@dataclass(frozen=True)
class Message:
    """A message's fallback ``text`` (notifications, screen readers) and its ``blocks``.

    ``text_is_mrkdwn`` says the text was already made safe as mrkdwn (``bot.slack.mrkdwn``), so
    its formatting and http(s) links are kept; any other text is escaped whole.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)
    text_is_mrkdwn: bool = False

    def as_kwargs(self) -> dict[str, Any]:
        # Slack reads the fallback as mrkdwn too, so it is escaped like every block: text people
        # or models wrote must not ping a channel or turn into a link there either.
        text = self.text if self.text_is_mrkdwn else escape_fallback(self.text)
        return {"text": text, "blocks": self.blocks}


def error(text: str) -> Message:
    """An error someone can act on: ``text`` says what is wrong and how to fix it."""
    # Errors can quote what someone typed (names, many variables); the section holds 3,000.
    return Message(
        text=shorten(text, 3000), blocks=[mrkdwn_section(shorten(f":warning: {text}", 3000))]
    )
