"""Slack's command text as a person typed it: entities undone, references read, quotes honoured.

Slack escapes ``&``, ``<`` and ``>`` typed by people as HTML entities, and sends channel, user
and link references as ``<...>`` sequences, so a raw ``<`` always starts a reference. Phones and
Macs turn straight quotes into curly ones. Every command grammar (prompts, labelers) reads its
words through here, and fails with ``CommandSyntaxError``, whose message says what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">"}
_DOUBLE_QUOTES = frozenset('"“”„‟')
_SINGLE_QUOTES = frozenset("'‘’‚‛")


class CommandSyntaxError(ValueError):
    """The text is not a valid command; the message says why and ``usage`` shows the right form."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage

    def explain(self) -> str:
        text = str(self)
        return f"{text}\nUsage: `{self.usage}`" if self.usage else text


@dataclass(frozen=True)
class SlackRef:
    """A ``<...>`` reference: ``kind`` is channel, user, special (``<!here>``) or link."""

    kind: str
    target: str
    label: str | None = None

    def readable(self) -> str:
        """The text a person (or a model) should see in place of the reference."""
        if self.kind == "channel":
            return f"#{self.label}" if self.label else f"<#{self.target}>"
        if self.kind == "user":
            # Posting the mention back keeps it a clickable name in Slack.
            return f"<@{self.target}>"
        if self.kind == "special":
            return self.label or f"@{self.target.split('^', 1)[0]}"
        return self.target


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool = False  # the token starts with a quote: never a flag or a key
    refs: tuple[SlackRef, ...] = ()


def unescape(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` in one pass (``&amp;lt;`` stays ``&lt;``)."""
    return _ENTITY.sub(lambda m: _ENTITY_CHARS[m.group(1)], text)


def parse_ref(inner: str) -> SlackRef:
    """Read the inside of a ``<...>`` sequence."""
    body, _, label = inner.partition("|")
    label_text = unescape(label) if label else None
    if body.startswith("#"):
        return SlackRef("channel", body[1:], label_text)
    if body.startswith("@"):
        return SlackRef("user", body[1:], label_text)
    if body.startswith("!"):
        return SlackRef("special", body[1:], label_text)
    return SlackRef("link", unescape(body), label_text)


def resolve_text(raw: str) -> str:
    """Raw Slack text -> what the person typed, with references made readable."""
    parts: list[str] = []
    position = 0
    while (start := raw.find("<", position)) != -1:
        end = raw.find(">", start)
        if end == -1:
            break
        parts.append(unescape(raw[position:start]))
        parts.append(parse_ref(raw[start + 1 : end]).readable())
        position = end + 1
    parts.append(unescape(raw[position:]))
    return "".join(parts)


def _quote_class(char: str) -> frozenset[str] | None:
    if char in _DOUBLE_QUOTES:
        return _DOUBLE_QUOTES
    if char in _SINGLE_QUOTES:
        return _SINGLE_QUOTES
    return None


def _closing_quote(raw: str, start: int, quotes: frozenset[str]) -> int:
    """Index of the quote that closes one opened before ``start``: a quote then a space or the end.

    Requiring the space lets apostrophes (``it’s``) live inside single-quoted values.
    """
    for index in range(start, len(raw)):
        if raw[index] in quotes and (index + 1 == len(raw) or raw[index + 1].isspace()):
            return index
    return -1


def tokenize(raw: str) -> list[Token]:
    """Split raw Slack text on whitespace, honouring quotes (straight or curly) and references.

    A quote opens a quoted part only at the start of a word or right after ``=``, so words such
    as ``don't`` need no escaping.
    """
    tokens: list[Token] = []
    index = 0
    while index < len(raw):
        if raw[index].isspace():
            index += 1
            continue
        text: list[str] = []
        refs: list[SlackRef] = []
        quoted = False
        while index < len(raw) and not raw[index].isspace():
            char = raw[index]
            quotes = _quote_class(char)
            at_value_start = not text or text[-1:] == ["="]
            if quotes is not None and at_value_start:
                close = _closing_quote(raw, index + 1, quotes)
                if close == -1:
                    raise CommandSyntaxError(
                        f"A quote opened at `{resolve_text(raw[index : index + 20])}` is never "
                        "closed. Close it, or leave quotes out for values without spaces."
                    )
                quoted = quoted or not text
                text.append(resolve_text(raw[index + 1 : close]))
                refs.extend(_refs_in(raw[index + 1 : close]))
                index = close + 1
            elif char == "<" and (end := raw.find(">", index)) != -1:
                ref = parse_ref(raw[index + 1 : end])
                text.append(ref.readable())
                refs.append(ref)
                index = end + 1
            else:
                end = index
                while end < len(raw) and not raw[end].isspace() and raw[end] not in "<=":
                    end += 1
                end = max(end, index + 1)  # a lone "=" or unmatched "<" is literal text
                text.append(unescape(raw[index:end]))
                index = end
        tokens.append(Token("".join(text), quoted, tuple(refs)))
    return tokens


def _refs_in(raw: str) -> list[SlackRef]:
    return [parse_ref(m.group(1)) for m in re.finditer(r"<([^<>]*)>", raw)]


def split_first_word(raw: str) -> tuple[str, str]:
    """The first word of ``raw`` and the text after it, as typed (newlines kept)."""
    stripped = raw.lstrip()
    match = re.match(r"\S+", stripped)
    if not match:
        return "", ""
    return match.group(0), stripped[match.end() :]


def tokenize_with_usage(raw: str, usage: str) -> list[Token]:
    """``tokenize``, with ``usage`` shown when the text cannot be split."""
    try:
        return tokenize(raw)
    except CommandSyntaxError as error:
        raise CommandSyntaxError(str(error), usage) from error


def text_after_mention(raw: str, bot_user_id: str | None) -> str | None:
    """What follows the bot's mention when ``raw`` starts with it (``<@BOT>`` or
    ``<@BOT|name>``, after any spaces); None when it does not, or the bot's id is unknown."""
    if not bot_user_id:
        return None
    match = re.match(rf"\s*<@{re.escape(bot_user_id)}(\|[^>]*)?>", raw)
    return None if match is None else raw[match.end() :]


def strip_wrapping_quotes(text: str) -> str:
    """``text`` without one pair of quotes (straight or curly) around the whole of it."""
    if len(text) >= 2:
        opening = _quote_class(text[0])
        if opening is not None and text[-1] in opening:
            return text[1:-1].strip()
    return text
