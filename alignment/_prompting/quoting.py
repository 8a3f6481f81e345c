"""Untrusted text inside a prompt's tagged blocks: it may quote a tag, never open or close one.

The alignment prompts wrap what people and models wrote in blocks such as
``<critique>...</critique>``. A critique that itself contains ``</critique>`` would end its block
early, and whatever followed would read as the library's own instructions. So before a value goes
into a block, every tag it contains that names one of the prompt's blocks has its ``<`` replaced
with a look-alike (``‹``): a model still reads the words, but the block stays whole. Tags the
prompt does not use (HTML in an answer, XML in a team's template) pass unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from alignment._prompting.template import render_template

_TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w.-]*)[^<>]*>")
QUOTED_ANGLE = "\u2039"


def tag_names(*templates: str) -> frozenset[str]:
    """The names (lower case) of every tag the templates use."""
    return frozenset(m.group(1).lower() for text in templates for m in _TAG.finditer(text))


def neutralise_tags(text: str, names: Iterable[str]) -> str:
    """``text`` with each tag named in ``names`` unable to open or close a block."""
    wanted = {name.lower() for name in names}
    if not wanted:
        return text

    def quote(match: re.Match[str]) -> str:
        tag = match.group(0)
        return QUOTED_ANGLE + tag[1:] if match.group(1).lower() in wanted else tag

    return _TAG.sub(quote, text)


def fill_blocks(template: str, values: Mapping[str, object], trusted: Collection[str] = ()) -> str:
    """``render_template``, with every string value not named in ``trusted`` neutralised against
    the tags of ``template``; ``trusted`` values are pieces the library built the same way."""
    names = tag_names(template)
    guarded = {
        key: value
        if key in trusted or not isinstance(value, str)
        else neutralise_tags(value, names)
        for key, value in values.items()
    }
    return render_template(template, guarded)
