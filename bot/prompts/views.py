"""Block Kit payloads for the prompt and run flows, as pure functions of plain values.

Nothing here talks to Slack or Redis, so every message and modal can be checked in a unit test.
Answers go out in Slack's ``markdown`` block (``bot.slack.markdown``), so the Markdown models write
renders; other text people or models wrote is escaped or converted (``bot.slack.mrkdwn``) before it
goes into mrkdwn, and long text is split so no block goes over Slack's limits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.commands.help import topic_help
from bot.commands.labelers import training_help_lines
from bot.commands.prompts import MAX_CANDIDATES, USAGE
from bot.feedback.actions import ANSWER_ACTIONS, answer_menu_block
from bot.feedback.kinds import FEEDBACK_KINDS
from bot.prompts.label_views import labels_line
from bot.prompts.store import PromptSummary, PromptVersion
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    VIEW_BLOCK_LIMIT,
    Message,
    fit_blocks,
    mrkdwn_context,
    mrkdwn_section,
    mrkdwn_sections,
    plain_text,
    shorten,
)
from bot.slack.chunking import escape_mrkdwn, split_for_sections
from bot.slack.markdown import markdown_block, neutralise, split_markdown
from bot.slack.mrkdwn import to_mrkdwn

Block = dict[str, Any]

PROMPT_TEMPLATE_CALLBACK = "alignbot_prompt_template"
RUN_VARIABLES_CALLBACK = "alignbot_run_variables"
NAME_BLOCK = "prompt_name"
TEMPLATE_BLOCK = "prompt_template"
VALUE_ACTION = "value"
VARIABLE_BLOCK_PREFIX = "var:"
# Slack caps plain_text_input values at 3000 characters: longer templates are edited inline.
FORM_TEXT_LIMIT = 3000
# A modal holds 100 blocks: the heading takes one, the pointer to the command form another.
MAX_FORM_VARIABLES = VIEW_BLOCK_LIMIT - 2
# Input labels may be 2,000 characters; a variable name longer than this is shown cut.
_LABEL_LIMIT = 200
THINKING_TEXT = "Thinking…"
WRITING_TEXT = "Still writing…"
# A code fence plus its newlines, taken from a section's 3000 characters.
_FENCE_ROOM = 8


def _code_sections(text: str) -> list[Block]:
    return [
        mrkdwn_section(f"```\n{escape_mrkdwn(piece)}\n```")
        for piece in split_for_sections(text, limit=3000 - _FENCE_ROOM)
    ]


def _variables_line(variables: Mapping[str, str], budget: int = 2700) -> str:
    """Every variable on one line, long values shortened, within ``budget`` characters."""
    if not variables:
        return "_no variables_"
    shown: list[str] = []
    size = 0
    for name, value in variables.items():
        one_line = " ".join(value.split())
        if len(one_line) > 200:
            one_line = one_line[:199] + "…"
        item = f"`{name}` = {escape_mrkdwn(one_line)}"
        if size + len(item) > budget:
            shown.append(f"… and {len(variables) - len(shown)} more")
            break
        shown.append(item)
        size += len(item) + 3
    return " · ".join(shown)


def _run_header(name: str, version: int, variables: Mapping[str, str], user: str) -> Block:
    return mrkdwn_section(
        f"*Run of `{name}`* (version {version}) by <@{user}>\n{_variables_line(variables)}"
    )


def run_root(
    name: str, version: int, variables: Mapping[str, str], user: str, candidates: int
) -> Message:
    answers = f"{candidates} candidate answers" if candidates > 1 else "the answer"
    return Message(
        text=f"Run of {name} (version {version})",
        blocks=[
            _run_header(name, version, variables, user),
            mrkdwn_context(f"See {answers} in the thread. React or reply there to give feedback."),
        ],
    )


def run_root_failed(name: str, version: int, variables: Mapping[str, str], user: str) -> Message:
    return Message(
        text=f"Run of {name} (version {version}) failed",
        blocks=[
            _run_header(name, version, variables, user),
            mrkdwn_context(":warning: This run failed; nothing was saved."),
        ],
    )


def thinking(candidates: int) -> Message:
    label = f"Thinking… ({candidates} candidates)" if candidates > 1 else THINKING_TEXT
    return Message(text=label, blocks=[mrkdwn_context(f":hourglass_flowing_sand: {label}")])


def run_failed_placeholder(reason: str) -> Message:
    """What the placeholder says when no answer will come; ``reason`` says why."""
    shown = reason if len(reason) <= 2500 else reason[:2499] + "…"
    return Message(
        text=reason[:300],
        blocks=[mrkdwn_section(f":x: {escape_mrkdwn(shown)}\nNothing was saved.")],
    )


def answer_messages(answer: str, candidate: int, candidates: int) -> list[Message]:
    """The Slack messages that show one candidate answer, split under Slack's limits; the last
    one ends with the "Feedback" menu (``bot.feedback.actions``)."""
    if not answer.strip():
        label = _candidate_label(candidate, candidates, 0, 1)
        return [
            Message(
                text="(empty answer)",
                blocks=[
                    mrkdwn_context(f"{label}_the model answered with nothing_"),
                    answer_menu_block(),
                ],
            )
        ]
    # Neutralised before splitting, so the invisible characters it adds count against the limit.
    pieces = split_markdown(neutralise(answer))
    messages = []
    for part, piece in enumerate(pieces):
        blocks: list[Block] = []
        label = _candidate_label(candidate, candidates, part, len(pieces))
        if label:
            blocks.append(mrkdwn_context(label))
        if piece.strip():
            blocks.append(markdown_block(piece))
        if part == len(pieces) - 1:
            blocks.append(answer_menu_block())
        messages.append(Message(text=_fallback(piece), blocks=blocks, text_is_mrkdwn=True))
    return messages


def answer_writing(text: str, candidate: int, candidates: int) -> Message:
    """The message an answer shows while it is still being written (edited as it grows)."""
    first = split_markdown(neutralise(text))[0]
    blocks: list[Block] = []
    label = _candidate_label(candidate, candidates, 0, 1)
    if label:
        blocks.append(mrkdwn_context(label))
    blocks += [markdown_block(first), mrkdwn_context(f":writing_hand: {WRITING_TEXT}")]
    return Message(text=_fallback(first), blocks=blocks, text_is_mrkdwn=True)


def with_failure_note(message: Message, reason: str) -> Message:
    """``message`` (an answer, or the part of one that arrived) marked as failed."""
    note = mrkdwn_context(f":x: {escape_mrkdwn(shorten(reason, 2500))} Nothing was saved.")
    blocks = [*(message.blocks or [])[: MESSAGE_BLOCK_LIMIT - 1], note]
    return Message(
        text=f"(failed) {message.text}", blocks=blocks, text_is_mrkdwn=message.text_is_mrkdwn
    )


def _candidate_label(candidate: int, candidates: int, part: int, parts: int) -> str:
    labels = []
    if candidates > 1:
        labels.append(f"*Candidate {candidate + 1} of {candidates}*")
    if parts > 1:
        labels.append(f"part {part + 1} of {parts}")
    return " · ".join(labels) + (" " if labels else "")


def _fallback(markdown: str) -> str:
    # Notifications show only the start (as mrkdwn); the blocks carry the whole text.
    text = markdown.strip()
    return to_mrkdwn(text if len(text) <= 300 else text[:299] + "…")


def run_example(record: PromptVersion) -> str:
    """``/align run NAME var=… …`` for this prompt, as inline code."""
    words = ["/align run", record.name, *(f"{name}=…" for name in record.variables)]
    return f"`{' '.join(words)}`"


def _variables_list(record: PromptVersion, budget: int = 1200) -> str:
    """The template's variables as inline code, cut with a pointer when they are very many."""
    listing = ", ".join(f"`{v}`" for v in record.variables) or "none"
    if len(listing) <= budget:
        return listing
    cut = listing[:budget].rsplit(", ", 1)[0]
    return f"{cut} … ({len(record.variables)} in all; `/align show {record.name}` lists them)"


def prompt_saved(record: PromptVersion, created: bool) -> Message:
    verb = "Created" if created else "Saved"
    return Message(
        text=f"{verb} {record.name} version {record.version}",
        blocks=[
            mrkdwn_section(
                f":white_check_mark: {verb} *`{record.name}`* version {record.version}. "
                f"Variables: {_variables_list(record)}.\n"
                f"Run it with {shorten(run_example(record), 1200)}"
            )
        ],
    )


def prompt_edited(record: PromptVersion, user: str) -> Message:
    """What the channel reads when someone replaces a template: later runs change for all."""
    return Message(
        text=f"<@{user}> edited {record.name}: version {record.version}",
        blocks=[
            mrkdwn_section(
                f":pencil2: <@{user}> edited the template of *`{record.name}`*: version "
                f"{record.version}. Variables: {_variables_list(record)}."
            )
        ],
    )


def prompt_list(summaries: Sequence[PromptSummary]) -> Message:
    if not summaries:
        return Message(
            text="No prompts yet",
            blocks=[mrkdwn_section("No prompts yet. Create one with `" + USAGE["new"] + "`.")],
        )
    lines = [
        f"• `{s.name}` version {s.current_version}"
        + (f", last changed by <@{s.updated_by}>" if s.updated_by else "")
        + (f" · labels {labels_line(s.labels)}" if s.labels else "")
        for s in summaries
    ]
    blocks = [mrkdwn_section(f"*Prompts in this workspace ({len(summaries)})*")]
    for piece in split_for_sections("\n".join(lines)):
        blocks.append(mrkdwn_section(piece))
    blocks = fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, "Open the App Home tab to browse them.")
    return Message(text=f"{len(summaries)} prompts", blocks=blocks)


def prompt_details(record: PromptVersion, labels: Mapping[str, int] | None = None) -> Message:
    """The current version; ``labels`` are the prompt's labels (label -> version)."""
    facts = [
        f"*`{record.name}`* version {record.version}, saved by <@{record.author}> "
        f"at {record.created_at}",
        f"Variables: {_variables_list(record, budget=2000)}",
    ]
    if labels:
        facts.append(f"Labels: {labels_line(labels)}")
    if not record.settings.empty:
        facts.append(f"Model settings: {record.settings.describe()}")
    blocks = [
        mrkdwn_section("\n".join(facts)),
        mrkdwn_section("*Template*"),
        *_code_sections(record.template),
    ]
    principles = record.prompt.principles
    if principles:
        listing = "\n".join(f"{i}. {to_mrkdwn(p)}" for i, p in enumerate(principles, start=1))
        blocks.append(mrkdwn_section(f"*Principles ({len(principles)})*"))
        blocks.extend(mrkdwn_sections(listing))
    else:
        blocks.append(
            mrkdwn_context("No principles yet: react to or reply on a run's answer to add some.")
        )
    pointer = f"`/align export {record.name}` gives the whole prompt."
    blocks = fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, pointer)
    return Message(text=f"{record.name} version {record.version}", blocks=blocks)


def export_json(record: PromptVersion) -> str:
    """The prompt as ``ConstitutionalPrompt`` JSON, pretty enough to read and diff."""
    return json.dumps(record.prompt.to_dict(), indent=2, ensure_ascii=False)


def export_inline(record: PromptVersion, document: str) -> Message:
    """The export as a code block in the message text (text allows far more than a block)."""
    return Message(
        text=(
            f"`{record.name}` version {record.version} as JSON for "
            "`ConstitutionalPrompt.from_dict`:\n```\n" + escape_mrkdwn(document) + "\n```"
        )
    )


def help_message(topic: str | None = None) -> Message:
    """Every command, or with ``topic`` that one command's usage and what it does."""
    shown = topic_help(topic) if topic is not None else None
    if shown is not None:
        return Message(text=shown)
    lines = [
        "*alignbot commands*",
        f"• `{USAGE['new']}`: create a prompt; write `{{variables}}` in braces.",
        f"• `{USAGE['edit']}`: save a new version of a prompt.",
        f"• `{USAGE['list']}`: the prompts of this workspace.",
        f"• `{USAGE['show']}`: a prompt's current version, template, variables and principles.",
        f"• `{USAGE['run']}`: run a prompt; the answer goes in a thread. `--n` asks for up "
        f"to {MAX_CANDIDATES} candidate answers. Missing variables open a form.",
        f"• `{USAGE['export']}`: the prompt as JSON for the `alignment` library.",
        f"React to an answer ({FEEDBACK_KINDS.reaction_help()}) or reply in its "
        f"thread ({FEEDBACK_KINDS.prefix_help()}) to change the principles, or use its "
        f"*Feedback* menu or message shortcuts ({ANSWER_ACTIONS.labels()}).",
        f"• `{USAGE['principles']}`: the principles gathered so far.",
        f"• `{USAGE['apply']}`: fold the principles into the template, as a new version.",
        f"• `{USAGE['revise']}`: change the template as the feedback asks.",
        f"• `{USAGE['history']}`: every version: who changed what, and when.",
        f"• `{USAGE['rollback']}`: make an earlier version current again.",
        f"• `{USAGE['delete']}` / `{USAGE['restore']}`: delete a prompt (after asking), or "
        "bring a deleted one back.",
        f"• `{USAGE['promote']}`: put a label on a version; applications fetch it by label.",
        f"• `{USAGE['config']}`: a new version with its own model settings.",
        f"• `{USAGE['apikey']}`: keys for the prompt API (`/api/v1/prompts`).",
        'Quote values with spaces: `topic="ice cream"`. You can also mention me: '
        "`@alignbot run NAME key=value`.",
    ]
    lines.append("`/align help COMMAND` explains one command, e.g. `/align help train`.")
    labelers = "\n".join(training_help_lines())
    blocks = [mrkdwn_section("\n".join(lines)), mrkdwn_section(labelers)]
    if topic is not None:
        unknown = f"There is no command `{escape_mrkdwn(topic)}`; these are the commands."
        blocks.insert(0, mrkdwn_section(unknown))
    return Message(text="alignbot commands", blocks=blocks)


def _text_input(
    block_id: str, label: str, initial: str | None, multiline: bool, hint: str | None = None
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "multiline": multiline,
    }
    if initial:
        # Callers check lengths first: a cut initial value would be saved back cut.
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": element,
    }
    if hint:
        block["hint"] = plain_text(hint)
    return block


def prompt_template_modal(
    mode: str, name: str | None, template: str | None, private_metadata: str
) -> dict[str, Any]:
    """The form for writing a template: ``mode`` "new" asks for a name too, "edit" does not."""
    blocks: list[Block] = []
    if mode == "new":
        blocks.append(
            _text_input(
                NAME_BLOCK,
                "Name",
                name,
                multiline=False,
                hint="Lowercase letters, digits, - and _, e.g. gift-ideas",
            )
        )
    else:
        blocks.append(mrkdwn_section(f"New version of *`{name}`*"))
    template_input = _text_input(
        TEMPLATE_BLOCK,
        "Template",
        template,
        multiline=True,
        hint="Write {variable} where a value goes in, e.g. Give three uses for {item}.",
    )
    template_input["element"]["max_length"] = FORM_TEXT_LIMIT
    blocks.append(template_input)
    return {
        "type": "modal",
        "callback_id": PROMPT_TEMPLATE_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain_text("New prompt" if mode == "new" else "Edit prompt"),
        "submit": plain_text("Save"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
    }


def form_holds(variables: Sequence[str]) -> bool:
    """Whether a run form can ask for every variable: Slack caps a modal at 100 blocks and a
    block id (which carries the variable's name) at 255 characters."""
    longest = max((len(v) for v in variables), default=0)
    return len(variables) <= MAX_FORM_VARIABLES and len(VARIABLE_BLOCK_PREFIX) + longest <= 255


def run_variables_modal(
    name: str,
    version: int,
    variables: Sequence[str],
    given: Mapping[str, str],
    private_metadata: str,
) -> dict[str, Any]:
    """One multi-line field per template variable, filled with the values already given.

    Callers check :func:`form_holds` first; past Slack's limits the form says to use the command.
    """
    blocks: list[Block] = [
        mrkdwn_context(f"Run *`{name}`* (version {version}): fill in every variable.")
    ]
    # A value longer than a field holds cannot be prefilled without cutting it, and a cut value
    # would run silently; such a field starts empty and the person pastes the value in.
    blocks.extend(
        _text_input(
            f"{VARIABLE_BLOCK_PREFIX}{variable}",
            shorten(variable, _LABEL_LIMIT),
            value if value is not None and len(value) <= FORM_TEXT_LIMIT else None,
            True,
        )
        for variable, value in ((v, given.get(v)) for v in variables[:MAX_FORM_VARIABLES])
        if len(VARIABLE_BLOCK_PREFIX) + len(variable) <= 255
    )
    if not form_holds(variables):
        blocks.append(
            mrkdwn_context(
                f"This prompt has {len(variables)} variables, more than a form holds: "
                f"run it with `/align run {name} name=value …` instead."
            )
        )
    return {
        "type": "modal",
        "callback_id": RUN_VARIABLES_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain_text(f"Run {name}"[:24]),
        "submit": plain_text("Run"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
    }


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """The text of every input of a submitted modal, by block id."""
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        action = actions.get(VALUE_ACTION) or {}
        values[block_id] = action.get("value") or ""
    return values
