"""Block Kit for examples: the list, and what was saved or removed."""

from __future__ import annotations

from bot.examples.store import MAX_EXAMPLES_PER_PROMPT, SavedExample
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    Message,
    escaped_preview,
    fit_blocks,
    mrkdwn_context,
    mrkdwn_section,
)

_PREVIEW = 300


def _line(example: SavedExample) -> str:
    values = ", ".join(f"`{k}` = {v}" for k, v in example.values.items())
    line = f"*{example.id}* {escaped_preview(values, _PREVIEW)}"
    if example.ideal:
        line += f"\n      ideal: {escaped_preview(example.ideal, _PREVIEW)}"
    return line


def example_list(name: str, examples: list[SavedExample]) -> Message:
    if not examples:
        text = (
            f"`{name}` has no examples yet. Add one with `/align examples {name} add key=value "
            f"... ideal=\"...\"`, *Save as example* in a run's answer's *Feedback* menu, or a "
            f"CSV uploaded with `@alignbot examples {name}`."
        )
        return Message(text=text, blocks=[mrkdwn_section(text)])
    head = (
        f"*Examples of `{name}`* ({len(examples)} of at most {MAX_EXAMPLES_PER_PROMPT}). "
        f"Remove one with `/align examples {name} remove ID`; compare versions on them with "
        f"`/align compare {name}`."
    )
    blocks = [mrkdwn_section(head), *(mrkdwn_section(_line(e)) for e in examples)]
    where = f"`/align compare {name}` uses all of them."
    return Message(
        text=f"Examples of {name}", blocks=fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, where)
    )


def saved(name: str, examples: list[SavedExample], total: int) -> Message:
    ids = ", ".join(e.id for e in examples[:20]) + (" …" if len(examples) > 20 else "")
    ideal = sum(1 for e in examples if e.ideal)
    text = (
        f"Saved {len(examples)} example{'s' if len(examples) != 1 else ''} of `{name}` ({ids})"
        + (f", {ideal} with an ideal answer" if ideal else "")
        + f". It now has {total} of at most {MAX_EXAMPLES_PER_PROMPT}."
    )
    return Message(
        text=text,
        blocks=[mrkdwn_section(text), mrkdwn_context(f"`/align examples {name}` lists them.")],
    )


def already_saved(name: str, example: SavedExample) -> Message:
    text = f"That input is already example {example.id} of `{name}`; nothing was added."
    return Message(text=text, blocks=[mrkdwn_section(text)])


def removed(name: str, example_id: str) -> Message:
    text = f"Removed example {example_id} of `{name}`."
    return Message(text=text, blocks=[mrkdwn_section(text)])
