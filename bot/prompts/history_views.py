"""Block Kit for principles, versions and their history, as pure functions of plain values."""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Mapping, Sequence

from bot.feedback.views import quoted
from bot.prompts.deletion import SHORT_ID_LENGTH, Deletion, DeletionEvent
from bot.prompts.store import PromptVersion
from bot.prompts.versions import HistoryEntry, VersionChange
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    Message,
    fit_blocks,
    mrkdwn_context,
    mrkdwn_section,
    shorten,
)
from bot.slack.chunking import escape_mrkdwn, split_for_sections
from bot.slack.mrkdwn import to_mrkdwn

DELETE_CONFIRM_ACTION = "alignbot_delete_confirm"
DELETE_CANCEL_ACTION = "alignbot_delete_cancel"
RESTORE_ACTION = "alignbot_restore"
# Slack allows 50 blocks per message; history keeps the newest entries within that.
MAX_HISTORY_LINES = 200
MAX_DELETION_LINES = 20
DIFF_WIDTH = 72
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A code fence and its newlines take a few characters of a section's 3000.
_FENCE_ROOM = 8


def _sections(text: str) -> list[Block]:
    return [mrkdwn_section(piece) for piece in split_for_sections(text)]


def _code(text: str) -> list[Block]:
    pieces = split_for_sections(escape_mrkdwn(text), limit=3000 - _FENCE_ROOM)
    return [mrkdwn_section(f"```\n{piece}\n```") for piece in pieces]


def principles_message(record: PromptVersion) -> Message:
    principles = record.prompt.principles
    head = f"*Principles of `{record.name}`* (version {record.version})"
    if not principles:
        text = f"{head}\nNone yet: react to or reply on a run's answer to add some."
        return Message(text=f"{record.name} has no principles", blocks=[mrkdwn_section(text)])
    # Principles are the model's words: Markdown in them shows as formatting, made safe.
    listing = "\n".join(f"{n}. {to_mrkdwn(p)}" for n, p in enumerate(principles, 1))
    blocks = [mrkdwn_section(head), *_sections(listing)]
    blocks.append(mrkdwn_context(f"Fold them into the template with `/align apply {record.name}`."))
    pointer = f"`/align export {record.name}` gives every principle."
    blocks = fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, pointer)
    return Message(text=f"{len(principles)} principles of {record.name}", blocks=blocks)


def wrapped_lines(text: str) -> list[str]:
    """One sentence per line (wrapped when long), so a diff shows the sentences that changed
    rather than whole paragraphs."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        sentences = _SENTENCE_END.split(paragraph.strip()) if paragraph.strip() else [""]
        for sentence in sentences:
            lines.extend(textwrap.wrap(sentence, DIFF_WIDTH) or [""])
    return lines


def template_diff(before: str, after: str) -> str:
    diff = difflib.unified_diff(
        wrapped_lines(before), wrapped_lines(after), "before", "after", lineterm="", n=2
    )
    return "\n".join(diff)


def rewritten_message(
    name: str, change: VersionChange, user: str, headline: str, detail: str = ""
) -> Message:
    """A new template from apply or revise, with the diff against the one before."""
    after = change.after
    diff = template_diff(change.before.prompt.preamble, after.prompt.preamble)
    blocks = [
        mrkdwn_section(
            f"*{headline}* `{name}` is now version {after.version} (was {change.before.version}), "
            f"by <@{user}>. Runs from now on use it."
        ),
        *([mrkdwn_section(shorten(detail, 3000))] if detail else []),
        *(_code(diff) if diff else [mrkdwn_context("The template came back unchanged.")]),
    ]
    pointer = f"`/align show {name}` shows the whole new template."
    blocks = fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, pointer)
    return Message(text=f"{name} is now version {after.version}", blocks=blocks)


def rolled_back_message(name: str, change: VersionChange, user: str, target: int) -> Message:
    after = change.after
    principles = len(after.prompt.principles)
    return Message(
        text=f"{name} rolled back to version {target}",
        blocks=[
            mrkdwn_section(
                f"*Rolled back* `{name}` to version {target}, by <@{user}>: the template and its "
                f"{principles} principle{'s' if principles != 1 else ''} are now version "
                f"{after.version}."
            )
        ],
    )


def _versions(count: int) -> str:
    return f"{count} version{'s' if count != 1 else ''}"


def deletion_line(name: str, deletion: Deletion) -> str:
    """One deletion: its id, when and by whom, and either its restore or how to restore it."""
    deleted = deletion.deleted
    line = (
        f"`{deletion.short_id}` {deleted.at} deleted by <@{deleted.user}> "
        f"({_versions(deleted.versions)})"
    )
    if deletion.restored is not None:
        return f"{line}, restored {deletion.restored.at} by <@{deletion.restored.user}>"
    return f"{line}: `/align restore {name} {deletion.short_id}`"


def _deletion_lines(name: str, deletions: Sequence[Deletion]) -> str:
    lines = [deletion_line(name, d) for d in deletions]
    shown = lines[-MAX_DELETION_LINES:]
    head = "*Deletions*, oldest first"
    if len(shown) < len(lines):
        head += f" (the newest {len(shown)} of {len(lines)})"
    return head + "\n" + "\n".join(f"• {line}" for line in shown)


def history_message(
    name: str,
    entries: Sequence[HistoryEntry],
    deletions: Sequence[Deletion],
    labels: Mapping[int, Sequence[str]] | None = None,
) -> Message:
    """Every version with who, what and when (the newest ones when there are very many), and
    the labels (version -> label names) on each."""
    lines = []
    for entry in entries:
        flags = []
        if entry.current:
            flags.append("*current*")
        flags.extend(f"`{label}`" for label in (labels or {}).get(entry.version, []))
        if entry.undone:
            flags.append("_undone_")
        suffix = f" ({', '.join(flags)})" if flags else ""
        what = escape_mrkdwn(entry.what if len(entry.what) <= 300 else entry.what[:299] + "…")
        lines.append(f"*v{entry.version}* {entry.at} <@{entry.user}>: {what}{suffix}")
    shown = lines[-MAX_HISTORY_LINES:]
    head = f"*History of `{name}`* ({len(entries)} versions)"
    if len(shown) < len(lines):
        head += f", the newest {len(shown)}"
    blocks = [mrkdwn_section(head), *_sections("\n".join(shown))]
    if deletions:
        blocks.extend(_sections(_deletion_lines(name, deletions)))
        if any(d.restored is None for d in deletions):
            blocks.append(
                mrkdwn_context(
                    f"A deletion comes back only while the name is free: delete the current "
                    f"`{name}` first (it can be restored later too)."
                )
            )
    pointer = f"`/align show {name}` shows the current version."
    return Message(
        text=f"History of {name}", blocks=fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, pointer)
    )


def deleted_history_message(name: str, deletions: Sequence[Deletion], admins_only: bool) -> Message:
    """A deleted prompt's deletions, with a button for the latest one not restored yet."""
    waiting = [d for d in deletions if d.restored is None]
    blocks: list[Block] = []
    if waiting:
        latest = waiting[-1].deleted
        who = "An admin" if admins_only else "Anyone"
        which = ": the button restores the latest deletion" if len(waiting) > 1 else ""
        blocks.append(
            mrkdwn_section(
                f"`{name}` was deleted by <@{latest.user}> at {latest.at}, with "
                f"{_versions(latest.versions)}. {who} can restore it{which}."
            )
        )
    else:
        blocks.append(mrkdwn_section(f"`{name}` has no deletion left to restore."))
    blocks.extend(_sections(_deletion_lines(name, deletions)))
    if waiting:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": f"Restore {name}"[:75]},
                        "action_id": RESTORE_ACTION,
                        "value": name,
                    }
                ],
            }
        )
    return Message(text=f"{name} was deleted", blocks=blocks)


def delete_confirmation(name: str, versions: int) -> Message:
    return Message(
        text=f"Delete {name}?",
        blocks=[
            mrkdwn_section(
                f"Delete `{name}` and its {versions} versions? Runs stop finding it; an admin can "
                f"restore it from `/align history {name}`."
            ),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Delete"},
                        "style": "danger",
                        "action_id": DELETE_CONFIRM_ACTION,
                        "value": name,
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Cancel"},
                        "action_id": DELETE_CANCEL_ACTION,
                        "value": name,
                    },
                ],
            },
        ],
    )


def deleted_message(name: str, user: str) -> Message:
    return Message(
        text=f"Deleted {name}",
        blocks=[
            mrkdwn_section(
                f":wastebasket: <@{user}> deleted `{name}`. An admin can restore it from "
                f"`/align history {name}` or with `/align restore {name}`."
            )
        ],
    )


def restored_message(name: str, user: str, event: DeletionEvent) -> Message:
    return Message(
        text=f"Restored {name}",
        blocks=[
            mrkdwn_section(
                f":recycle: <@{user}> restored `{name}` with its {event.versions} versions "
                f"(deletion `{event.deletion[:SHORT_ID_LENGTH]}`)."
            )
        ],
    )


def notice(text: str) -> Message:
    return Message(text=text, blocks=[mrkdwn_section(text)])


def revise_detail(feedback: str) -> str:
    return f"The request:\n{quoted(feedback, 1000)}"
