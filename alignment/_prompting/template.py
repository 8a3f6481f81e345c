"""Fill ``{name}`` placeholders in a prompt template, and nothing else.

Prompts are written by people (in Slack, in notebooks) and rewritten by models, so they often hold
braces that are not placeholders: JSON examples, ``{}``, doubled braces. ``str.format`` would choke
on those, or worse, evaluate ``{item.__class__}``. The rules here are deliberately small:

- ``{name}``, where ``name`` is a Python identifier, is a placeholder.
- Everything else is copied exactly as written, including ``{{``, ``}}`` and JSON such as
  ``{"a": {"b": 1}}``. A doubled brace never opens or closes a placeholder, so ``{{item}}`` is text.
- ``{name.attr}``, ``{name[key]}``, ``{name!r}`` and ``{name:spec}`` look like ``str.format`` fields
  but are refused with a ``TemplateError``: copying them as text would hide a mistake, and
  evaluating them is exactly what a safe formatter must not do.
- Filled values are inserted as they are; braces inside a value are never read as placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from alignment.errors import MissingVariableError, TemplateError

# Alternatives are tried left to right at each position: a doubled brace is consumed first so
# that it can never start or end a placeholder.
_TOKEN = re.compile(
    r"(?P<double>\{\{|\}\})"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}"
    r"|\{(?P<field>[A-Za-z_][A-Za-z0-9_]*[.\[!:][^{}\s]*)\}"
)


def _refused(field: str) -> TemplateError:
    return TemplateError(
        f"template field {{{field}}} is not allowed: only plain {{name}} placeholders are "
        "filled (no attribute access, indexing, conversions or format specs)"
    )


def template_variables(template: str) -> list[str]:
    """The placeholder names in ``template``, each once, in order of first appearance."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        if match.group("field") is not None:
            raise _refused(match.group("field"))
        name = match.group("name")
        if name is not None and name not in names:
            names.append(name)
    return names


def render_template(template: str, values: Mapping[str, object]) -> str:
    """Fill every placeholder of ``template`` from ``values`` (extra values are ignored).

    Raises ``MissingVariableError`` naming every unfilled placeholder, or ``TemplateError`` for a
    refused field. Values that are not strings are converted with ``str``.
    """
    missing = [name for name in template_variables(template) if name not in values]
    if missing:
        raise MissingVariableError(missing, sorted(values))

    def substitute(match: re.Match[str]) -> str:
        name = match.group("name")
        return match.group(0) if name is None else str(values[name])

    return _TOKEN.sub(substitute, template)
