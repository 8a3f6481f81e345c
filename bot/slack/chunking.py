"""Split long text into pieces Slack's mrkdwn sections accept, without losing a character.

Slack rejects a section block whose text is over 3,000 characters and truncates message text
over 40,000. Text is cut at the last paragraph break that fits, else the last line break,
else the last space, and only a run of text with no space at all is cut mid-word. Separators stay
at the end of the piece they follow, so joining the pieces gives back the answer exactly.
"""

from __future__ import annotations

from collections.abc import Callable

SECTION_TEXT_LIMIT = 3000
# Slack's message text limit is 40,000; the rest is room for a label and the fallback text.
MESSAGE_TEXT_BUDGET = 36_000
MAX_BLOCKS_PER_MESSAGE = 50


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack reads as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut_point(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest cut (an index into ``text``) at a natural boundary whose head still fits."""
    # Measured length never falls below the raw length, so the head is at most ``limit`` long.
    low, high = 1, min(len(text), limit)
    # Binary search for the longest head that fits; escaping makes lengths non-linear.
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    longest = low
    window = text[:longest]
    # A boundary in the first half would leave a needlessly short piece; prefer the bigger cut.
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position > longest // 2:
            return position + len(separator)
    return longest


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into pieces with ``measure(piece) <= limit``; ``"".join`` restores it."""
    if limit < 8:
        raise ValueError("limit must leave room for at least a few characters")
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = _cut_point(rest, limit, measure)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def escaped_length(text: str) -> int:
    return len(escape_mrkdwn(text))


def split_for_sections(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Pieces of raw text whose escaped form fits one section block each."""
    return split_text(text, limit, escaped_length)


def group_for_messages(
    sections: list[str],
    budget: int = MESSAGE_TEXT_BUDGET,
    max_sections: int = MAX_BLOCKS_PER_MESSAGE - 2,
) -> list[list[str]]:
    """Pack consecutive sections into messages under Slack's per-message text and block limits."""
    messages: list[list[str]] = []
    current: list[str] = []
    size = 0
    for section in sections:
        length = escaped_length(section)
        if current and (size + length > budget or len(current) >= max_sections):
            messages.append(current)
            current, size = [], 0
        current.append(section)
        size += length
    if current or not messages:
        messages.append(current)
    return messages
