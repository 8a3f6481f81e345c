"""The instructions sent to the alignment model for single-run prompts, and the schemas of answers.

Every template here is filled with ``alignment._prompting.template.render_template``, so the
JSON examples in the texts stay as written and values (feedback, answers) are inserted without
being re-read.
Principles are numbered from 1 in prompts because models count that way; code converts.
The texts that differ by feedback kind live with the kinds, in ``feedback_kinds``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alignment._prompting.quoting import fill_blocks, neutralise_tags, tag_names
from alignment._prompting.template import render_template

RUN_CONTEXT = """\
## The prompt template
<template>
{description}
</template>

## What was filled into it for this run
{variables}

## The answer the model gave
<answer>
{response}
</answer>"""

_SENT = "No variables. The prompt was sent as:\n<sent>\n{sent}\n</sent>"

CHANGE_DECISION = """\
You help a team improve a prompt template for an AI model. Besides its main instructions, the \
prompt has a list of principles: short, general rules gathered from the team's feedback. Turn the \
feedback below into exactly one change to that list.

{context}

{feedback_block}

## The current principles
{principles}

## Choose one action
- "add": no principle covers the point yet. Write a new one.
- "edit": a principle is about the same thing but should be narrowed, broadened, corrected or \
made more specific. Give its number and its full new wording, keeping what still holds.
- "delete": a principle asks for the very thing the feedback objects to, and no rewording would \
save it. Give its number.
- "none": a principle already says exactly this, so the list should stay as it is.

Write principles as one imperative sentence each ("Include ...", "Avoid ...", "Keep ..."), under \
30 words, general enough to help on other inputs, and never mentioning this run's particular \
values unless the rule truly depends on them.

Reply with a JSON object only, no other text:
{"action": "add" | "edit" | "delete" | "none", "index": <number of the principle for edit or \
delete, otherwise 0>, "principle": "<the new or edited principle, otherwise an empty string>", \
"reason": "<one short sentence on why>"}"""

CHANGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": ["add", "edit", "delete", "none"]},
        "index": {"type": "integer"},
        "principle": {"type": "string"},
        "reason": {"type": "string"},
    },
    "required": ["action", "index", "principle", "reason"],
}

SUGGESTIONS = """\
You help a team give feedback on answers produced by a prompt template for an AI model. Read the \
run below and draft {count} pieces of {feedback_kind} a teammate could give about the answer.

{context}

{guidance}

Each suggestion is one sentence, in the voice of a teammate, about a different aspect of the \
answer (for example content, accuracy, structure, tone, length, or how well it follows the \
template). Be specific to this answer.{avoid}

Reply with a JSON object only, no other text:
{"suggestions": ["<first>", "<second>", "..."]}"""

SUGGESTION_AVOID = """

These were already suggested; give different ones:
{already}"""

SUGGESTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"suggestions": {"type": "array", "items": {"type": "string"}}},
    "required": ["suggestions"],
}

APPLY_PRINCIPLES = """\
You maintain a prompt template for an AI model. Rewrite the template so that it follows every \
principle listed below. Work each principle into the instructions where it fits best, merge \
overlapping ones, and keep the template's purpose, voice and structure otherwise.

## The template
<template>
{description}
</template>

## The principles
{principles}

{variable_rule}

Reply with a JSON object only, no other text:
{"prompt": "<the full rewritten template>"}"""

EDIT_FROM_FEEDBACK = """\
You maintain a prompt template for an AI model. A teammate asked for a change to it. Rewrite the \
template so that it does what they ask, changing nothing else.

## The template
<template>
{description}
</template>

## What the teammate asked for
<request>
{feedback}
</request>

{variable_rule}

Reply with a JSON object only, no other text:
{"prompt": "<the full rewritten template>"}"""

VARIABLE_RULE_SOME = """\
The template is filled in later by replacing placeholders in single curly braces. Keep each of \
these placeholders, spelled exactly so: {placeholders}. Do not add any other word in single \
curly braces."""

VARIABLE_RULE_NONE = """\
The template has no placeholders. Do not add any word in single curly braces."""

DESCRIPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"prompt": {"type": "string"}},
    "required": ["prompt"],
}

RETRY_NOTE = """

Your previous reply could not be used: {problem}
Reply again, following the instructions above exactly."""


def numbered(items: Sequence[str], empty: str) -> str:
    """Items as a list numbered from 1, or ``empty`` when there are none."""
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)) if items else empty


def run_context(
    description: str, variables: Mapping[str, str], sent_prompt: str, response: str
) -> str:
    """The part every feedback prompt shares: the template, what filled it, and the answer."""
    if variables:
        filled = "\n".join(f"- {name}: {value}" for name, value in variables.items())
    elif sent_prompt.strip() != description.strip():
        # No variables, yet the prompt sent differs: an input was added to the template, or the
        # template has changed since this run. Either way the model should see what was sent.
        sent = neutralise_tags(sent_prompt, tag_names(RUN_CONTEXT, _SENT))
        filled = render_template(_SENT, {"sent": sent})
    else:
        filled = "Nothing: the template has no variables."
    if variables:
        filled = neutralise_tags(filled, tag_names(RUN_CONTEXT))
    return fill_blocks(
        RUN_CONTEXT,
        {"description": description, "variables": filled, "response": response},
        trusted={"variables"},
    )


def variable_rule(placeholders: Sequence[str]) -> str:
    if not placeholders:
        return VARIABLE_RULE_NONE
    spelled = ", ".join("{" + name + "}" for name in placeholders)
    return render_template(VARIABLE_RULE_SOME, {"placeholders": spelled})


def with_retry_note(prompt: str, problem: str | None) -> str:
    """The prompt again, told what was wrong with the last answer (when there was one)."""
    return prompt if problem is None else prompt + render_template(RETRY_NOTE, {"problem": problem})
