"""Block Kit for the feedback loop in a run's thread, as pure functions of plain values.

Suggested reasons are sections with a button each (button labels are capped at 75 characters,
reasons are not), so a long reason is shown whole. Every text a person or model wrote is
escaped and cut to fit a section.
"""

from __future__ import annotations

import json
from typing import Any

from alignment.single_run import PrincipleChange
from bot.compare.views import apply_and_compare_button
from bot.feedback.kinds import FEEDBACK_KINDS
from bot.slack.blocks import (
    Block,
    Message,
    button,
    escaped_preview,
    markdown_preview,
    mrkdwn_context,
    mrkdwn_section,
    plain_text,
)

CHOOSE_REASON_ACTION = "alignbot_feedback_reason"
OWN_REASON_ACTION = "alignbot_feedback_own_reason"
UNDO_ACTION = "alignbot_feedback_undo"
OWN_REASON_CALLBACK = "alignbot_feedback_own_reason_form"
OWN_REASON_BLOCK = "reason"
OWN_REASON_INPUT = "value"
# Leaves room in a 3000-character section for the words around a quoted text.
QUOTE_LIMIT = 2500

CHANGE_TITLE = {"add": "Principle added", "edit": "Principle edited", "delete": "Principle deleted"}


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` (Markdown a person or model wrote) as safe mrkdwn in a block quote of at most
    ``limit`` characters ("…" marks a cut)."""
    one = text.strip()
    # Each line's ">" counts too: shrink the room until the quoted form fits.
    room = limit
    while True:
        shown = markdown_preview(one, room)
        quote = "\n".join(f">{line}" for line in shown.splitlines() or [""])
        if len(quote) <= limit or room <= 16:
            return quote[:limit]
        room = max(16, room - (len(quote) - limit) - 1)


def reason_offer(user: str, reaction: str, kind: str, reasons: list[str], token: str) -> Message:
    """Suggested reasons for a kudos or critique reaction, each with a button, plus "my own"."""
    question = FEEDBACK_KINDS.get(kind).question
    blocks: list[Block] = [
        mrkdwn_section(f"<@{user}> reacted :{reaction}: to this answer. {question}")
    ]
    for number, reason in enumerate(reasons):
        section = mrkdwn_section(escaped_preview(reason, QUOTE_LIMIT))
        section["accessory"] = button("Choose", CHOOSE_REASON_ACTION, f"{token}:{number}")
        blocks.append(section)
    blocks.append(
        {
            "type": "actions",
            "elements": [button("Write my own", OWN_REASON_ACTION, token)],
        }
    )
    blocks.append(mrkdwn_context("Removing the reaction withdraws this."))
    return Message(text=f"{question} Pick a reason or write your own.", blocks=blocks)


def reason_chosen(user: str, reaction: str, kind: str, reason: str) -> Message:
    """The offer once a reason is picked: the buttons go, the choice stays on record."""
    return Message(
        text=f"{kind} from {user}: {reason[:200]}",
        blocks=[
            mrkdwn_section(
                f"<@{user}> reacted :{reaction}: and gave this {kind}:\n{quoted(reason)}"
            )
        ],
    )


def reply_request(user: str, reaction: str, kind: str) -> Message:
    """Asks the person who reacted to reply with their own text (for a rewrite: the answer)."""
    spec = FEEDBACK_KINDS.get(kind)
    return Message(
        text=spec.reply_request_summary,
        blocks=[
            mrkdwn_section(f"<@{user}> reacted :{reaction}:. {spec.reply_request}"),
            mrkdwn_context("Removing the reaction withdraws this."),
        ],
    )


def undo_value(prompt: str, version: int, prompt_id: str | None = None) -> str:
    payload: dict[str, object] = {"prompt": prompt, "version": version}
    if prompt_id is not None:
        payload["id"] = prompt_id
    return json.dumps(payload)


def read_undo_value(value: str) -> tuple[str, int]:
    payload = json.loads(value)
    return str(payload["prompt"]), int(payload["version"])


def read_undo_identity(value: str) -> str | None:
    """The identity of the prompt an Undo button was made for; None on buttons made before
    prompts had one."""
    found = json.loads(value).get("id")
    return str(found) if found is not None else None


def change_lines(change: PrincipleChange) -> list[str]:
    """What changed, old and new text, as people read it (numbered from 1)."""
    number = change.index + 1
    if change.kind == "add":
        return [f"*New principle {number}:*", quoted(change.new_text or "")]
    if change.kind == "delete":
        return [f"*Removed principle {number}:*", quoted(change.old_text or "")]
    return [
        f"*Principle {number} was:*",
        quoted(change.old_text or "", QUOTE_LIMIT // 2),
        "*Now:*",
        quoted(change.new_text or "", QUOTE_LIMIT // 2),
    ]


def change_posted(
    prompt: str,
    version: int,
    change: PrincipleChange,
    user: str,
    kind: str,
    feedback: str,
    reason: str,
    prompt_id: str | None = None,
) -> Message:
    """A principle change from feedback, with who gave it and an Undo button."""
    title = CHANGE_TITLE[change.kind]
    blocks: list[Block] = [
        mrkdwn_section(
            f"*{title}* in `{prompt}` (now version {version}), from <@{user}>'s {kind}."
        ),
        mrkdwn_section("\n".join(change_lines(change))),
        mrkdwn_context(f"{kind.capitalize()}: {quoted(feedback, 600)[1:]}"),
    ]
    if reason:
        blocks.append(mrkdwn_context(f"Why: {escaped_preview(reason, 600)}"))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                button("Undo", UNDO_ACTION, undo_value(prompt, version, prompt_id)),
                apply_and_compare_button(prompt),
            ],
        }
    )
    return Message(text=f"{title} in {prompt} (version {version})", blocks=blocks)


def change_marked_undone(original: Message, undo_user: str, undo_version: int) -> Message:
    """The change message once undone: the Undo button goes, a line says who undid it."""
    kept = [b for b in original.blocks if b.get("type") != "actions"]
    kept.append(
        mrkdwn_context(
            f":leftwards_arrow_with_hook: Undone by <@{undo_user}> in version {undo_version}."
        )
    )
    return Message(text=original.text, blocks=kept)


def sent_directly(original: Message, channel: str, problem: str, saved_change: bool) -> Message:
    """A thread message that could not be posted there, sent to the person it is for instead.

    The original blocks are kept whole, Undo button included, so the change can be undone from
    here exactly as from the thread.
    """
    why = (
        f":warning: I could not post this in the run's thread in <#{channel}> "
        f"(`{escaped_preview(problem, 100)}`), so it comes to you here."
    )
    if saved_change:
        why += " The change is saved all the same; Undo below reverts it."
    return Message(
        text=f"Sent to you directly: {original.text}"[:300],
        blocks=[mrkdwn_section(why), *original.blocks],
    )


def no_change(user: str, kind: str, reason: str) -> Message:
    return Message(
        text="No principle changed",
        blocks=[
            mrkdwn_context(
                f"<@{user}>'s {kind} changed no principle: {escaped_preview(reason, 1500)}"
            )
        ],
    )


def undo_result(user: str, message: str) -> Message:
    return Message(
        text=message[:300],
        blocks=[mrkdwn_context(f"<@{user}>: {escaped_preview(message, 2000)}")],
    )


def feedback_failed(user: str, kind: str, problem: str) -> Message:
    return Message(
        text="Your feedback could not be used",
        blocks=[
            mrkdwn_section(
                f":warning: <@{user}>, your {kind} changed nothing: "
                f"{escaped_preview(problem, 2000)}"
            )
        ],
    )


def not_your_reasons(owner: str) -> Message:
    return Message(
        text="These reasons belong to someone else's reaction",
        blocks=[
            mrkdwn_section(
                f"These reasons are for <@{owner}>'s reaction. React to the answer yourself to "
                "get reasons of your own, or reply in the thread."
            )
        ],
    )


def own_reason_modal(kind: str, private_metadata: str) -> dict[str, Any]:
    """The "write my own" form: one multi-line field."""
    spec = FEEDBACK_KINDS.get(kind)
    return {
        "type": "modal",
        "callback_id": OWN_REASON_CALLBACK,
        "private_metadata": private_metadata,
        "title": plain_text(spec.form_title),
        "submit": plain_text("Send"),
        "close": plain_text("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": OWN_REASON_BLOCK,
                "label": plain_text(spec.form_label),
                "element": {
                    "type": "plain_text_input",
                    "action_id": OWN_REASON_INPUT,
                    "multiline": True,
                    "max_length": 2000,
                },
            }
        ],
    }
