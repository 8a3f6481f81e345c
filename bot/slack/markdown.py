"""Model-written Markdown in Slack's ``markdown`` block: made harmless, then split to fit.

Slack renders standard Markdown in a ``markdown`` block (headings, lists, tables, code fences,
links), which is what models write. Two things still need doing before the text is posted:

- Slack reads ``<!channel>``, ``<@U123>``, ``<#C123>`` and ``<https://…|label>`` as references,
  so text a model or a person wrote could ping a channel or disguise a link. Every such ``<`` gets
  an invisible zero-width space after it, which breaks the reference and shows the same text;
  ``@channel``, ``@here`` and ``@everyone`` get one after the ``@``. Slack's entity forms
  (``&lt;!here&gt;``) are treated the same, in case a renderer decodes them before parsing.
- The text of all ``markdown`` blocks in one message is capped (12,000 characters in all), so a
  long answer is split at paragraph breaks, and code fences are kept whole; a fence longer than a
  message is cut at a line break, closed at the end of one piece and reopened in the next.
"""

from __future__ import annotations

import re
from typing import Any

from bot.slack.chunking import split_text

ZERO_WIDTH_SPACE = "\u200b"
# Slack's cap on the text of all markdown blocks in one message
# (https://docs.slack.dev/reference/block-kit/blocks/markdown-block).
MARKDOWN_MESSAGE_MAX = 12_000
# Slack counts the translated text against a message's block size, and rich Markdown grows in
# translation (https://github.com/slackapi/bolt-js/issues/2509): keep well under the cap.
MARKDOWN_MESSAGE_BUDGET = 10_000

# ``<`` (or its entity) before a special mention, user, channel or a URL scheme; ``<std::x>``
# (C++ in a code block) has a double colon, no scheme, and is left as written.
_REFERENCE = re.compile(r"(<|&lt;)(?=[!@#]|[A-Za-z][A-Za-z0-9+.-]*:(?!:))")
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def neutralise(text: str) -> str:
    """``text`` as it reads, with nothing Slack would turn into a mention or a link."""
    text = _REFERENCE.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, text)
    return _BROADCAST.sub("@" + ZERO_WIDTH_SPACE, text)


def markdown_block(text: str) -> dict[str, Any]:
    """A ``markdown`` block of text someone else wrote, neutralised."""
    return {"type": "markdown", "text": neutralise(text)}


def _units(text: str) -> list[tuple[str, str | None]]:
    """``text`` as consecutive units: paragraphs (with the blank lines after them) and whole
    fenced code blocks. A fence's opening line is given with each fence, None for prose."""
    units: list[tuple[str, str | None]] = []
    prose: list[str] = []
    fence: list[str] = []
    opener: str | None = None
    marker = ""
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line.rstrip("\n"))
        if opener is None and match:
            if prose:
                units.append(("".join(prose), None))
                prose = []
            opener, marker, fence = line.rstrip("\n"), match.group(1), [line]
        elif opener is not None:
            fence.append(line)
            closing = match and match.group(1).startswith(marker) and not match.group(2).strip()
            if closing:
                units.append(("".join(fence), opener))
                opener, fence = None, []
        else:
            prose.append(line)
            if not line.strip():
                units.append(("".join(prose), None))
                prose = []
    if opener is not None:
        # An unclosed fence runs to the end, as Markdown renders it.
        units.append(("".join(fence), opener))
    if prose:
        units.append(("".join(prose), None))
    return units


def _split_fence(code: str, opener: str, limit: int) -> list[str]:
    """A fenced block longer than ``limit`` as several, each closed and the next reopened."""
    marker = _FENCE.match(opener)
    close = marker.group(1) if marker else "```"
    lines = code.splitlines(keepends=True)
    body = lines[1:]
    if body and _FENCE.match(body[-1].rstrip("\n")):
        body = body[:-1]
    # Each piece is the opener, a newline, the code, a newline, the closer and a newline.
    room = limit - len(opener) - len(close) - 3
    if room < 64:
        # An opening line nearly as long as a message: no room for code inside a fence.
        return split_text(code, limit)
    pieces = split_text("".join(body), room)
    return [f"{opener}\n{piece.rstrip(chr(10))}\n{close}\n" for piece in pieces]


def split_markdown(text: str, limit: int = MARKDOWN_MESSAGE_BUDGET) -> list[str]:
    """Pieces of ``text`` of at most ``limit`` characters, cut between paragraphs and never
    inside a code fence (a fence too long for one piece is closed and reopened)."""
    pieces: list[str] = []
    current = ""
    for unit, opener in _units(text):
        if len(unit) > limit:
            parts = _split_fence(unit, opener, limit) if opener else split_text(unit, limit)
        else:
            parts = [unit]
        for part in parts:
            if current and len(current) + len(part) > limit:
                pieces.append(current)
                current = ""
            current += part
    if current or not pieces:
        pieces.append(current)
    return pieces
