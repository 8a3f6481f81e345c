"""Markdown as Slack ``mrkdwn``, for the places a ``markdown`` block cannot go.

A message's fallback ``text``, modals, App Home and section blocks only speak ``mrkdwn``, where
``**bold**`` shows as asterisks and ``[text](url)`` as brackets. The conversion escapes first
(``&``, ``<``, ``>``: nothing the text says can become a mention or a link) and only then adds
formatting, so the one way to get a link is a Markdown link to an http(s) URL. Code spans and
fences are kept as they are (escaped, but never reformatted).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.slack.chunking import escape_mrkdwn

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_QUOTE = re.compile(r"^ {0,3}&gt; ?")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# After escaping: a label without brackets, an http(s) URL with no space, bar or angle bracket.
_LINK = re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()|]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
# Bold is set aside as this character until italics are done, so neither reads the other's star.
_BOLD_MARK = "\x00"


def _outside_code(line: str, convert: Callable[[str], str]) -> str:
    """``convert`` applied to the parts of ``line`` that are not inline code."""
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(line):
        parts.append(convert(line[position : match.start()]))
        parts.append(f"`{match.group(2)}`")
        position = match.end()
    parts.append(convert(line[position:]))
    return "".join(parts)


def _inline(text: str) -> str:
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '¦')}>", text)
    text = _BOLD.sub(lambda m: _BOLD_MARK + (m.group(1) or m.group(2)) + _BOLD_MARK, text)
    text = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    return text.replace(_BOLD_MARK, "*")


def _line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        # mrkdwn has no headings; a bold line reads as one. Bold inside would end it early.
        title = _outside_code(heading.group(1), _inline).replace("*", "")
        return f"*{title}*" if title else ""
    bullet = _BULLET.match(line)
    if bullet:
        depth = len(bullet.group(1).expandtabs(4)) // 2
        mark = "•" if depth == 0 else "◦"
        return "    " * depth + f"{mark} " + _outside_code(bullet.group(2), _inline)
    quote = _QUOTE.match(line)
    if quote:
        return "> " + _outside_code(line[quote.end() :], _inline)
    return _outside_code(line, _inline)


def to_mrkdwn(markdown: str) -> str:
    """``markdown`` as safe ``mrkdwn``: formatting kept where mrkdwn has it, nothing that pings."""
    lines = escape_mrkdwn(markdown).replace(_BOLD_MARK, "").split("\n")
    out: list[str] = []
    fence: str | None = None
    table = False
    for line in lines:
        opening = _FENCE.match(line)
        if fence is not None:
            # A code block is shown as written; a language name after ``` is not mrkdwn.
            if opening and opening.group(1).startswith(fence) and not line.strip(" `~"):
                out.append("```")
                fence = None
            else:
                out.append(line)
            continue
        if opening:
            fence = opening.group(1)
            out.append("```")
            continue
        # mrkdwn has no tables: a fixed-width block keeps the columns lined up.
        is_row = bool(_TABLE_ROW.match(line))
        if is_row != table:
            out.append("```")
            table = is_row
        out.append(line if is_row else _line(line))
    if fence is not None or table:
        out.append("```")
    return "\n".join(out)
