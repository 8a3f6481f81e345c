"""Block Kit for comparisons, as pure functions: progress, the result, the losses side by side."""

from __future__ import annotations

from typing import Any

from alignment.compare import ComparisonResult, ExampleComparison
from bot.compare.state import Comparison
from bot.slack.blocks import (
    Block,
    Message,
    button,
    escaped_preview,
    markdown_preview,
    mrkdwn_context,
    mrkdwn_section,
    shorten,
)
from bot.slack.chunking import escape_mrkdwn

MAKE_CURRENT_ACTION = "alignbot_compare_make_current"
CANCEL_ACTION = "alignbot_compare_cancel"
APPLY_AND_COMPARE_ACTION = "alignbot_compare_apply"
# Losses shown in the thread; the CSV file has every example.
LOSSES_SHOWN = 5
# A section field holds 2,000 characters; room for the label above the answer.
_FIELD_ROOM = 1_900
_PRINCIPLE_WIDTH = 60


def apply_and_compare_button(name: str) -> dict[str, Any]:
    """The button offered under a principle change: apply into a version kept aside, compare."""
    return button("Apply and compare", APPLY_AND_COMPARE_ACTION, name)


def _title(c: Comparison) -> str:
    return f"*Comparing `{c.name}` version {c.a} (A) with version {c.b} (B)*"


def progress(c: Comparison, done: int, total: int) -> Message:
    share = f"{done} of {total} steps" if total else "starting"
    text = f"{_title(c)} on {c.examples} example{'s' if c.examples != 1 else ''}: {share}."
    blocks: list[Block] = [mrkdwn_section(text)]
    blocks.append({"type": "actions", "elements": [button("Cancel", CANCEL_ACTION, c.compare_id)]})
    blocks.append(
        mrkdwn_context("Both versions answer every example; each pair is judged in both orders.")
    )
    return Message(text=f"Comparing {c.name}: {share}", blocks=blocks)


def ended(c: Comparison, what: str) -> Message:
    return Message(text=what, blocks=[mrkdwn_section(f"{_title(c)}: {escape_mrkdwn(what)}")])


def resumed(c: Comparison) -> Message:
    text = (
        f":recycle: The worker comparing `{c.name}` stopped responding; the comparison was "
        "queued again and goes on from the answers already made."
    )
    return Message(text=text, blocks=[mrkdwn_section(text)])


def cancel_asked(c: Comparison, user: str) -> Message:
    text = (
        f":black_square_for_stop: <@{user}> asked to stop comparing `{c.name}` version {c.a} "
        f"with {c.b}. It stops within seconds; nothing is changed."
    )
    return Message(text=f"Stopping the comparison of {c.name}", blocks=[mrkdwn_section(text)])


def principle_table(result: ComparisonResult) -> str:
    """A fixed-width table: each principle, how often it decided for B and against B."""
    rows = [("principle", "B won", "B lost")]
    for tally in result.principle_table():
        rows.append(
            (shorten(tally.principle, _PRINCIPLE_WIDTH), str(tally.b_won), str(tally.b_lost))
        )
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{p.ljust(width)}  {w:>5}  {lost:>6}" for p, w, lost in rows)


def result_summary(c: Comparison, result: ComparisonResult, offer_make_current: bool) -> Message:
    counts = (
        f"B better on *{result.b_better}*, worse on *{result.b_worse}*, tied on "
        f"*{result.tied}* of {len(result.examples)} examples."
    )
    calls = result.calls
    blocks: list[Block] = [mrkdwn_section(f"{_title(c)}\n{counts}")]
    if result.principles:
        table = escape_mrkdwn(principle_table(result))
        blocks.append(mrkdwn_section(shorten(f"```\n{table}\n```", 2990)))
    else:
        blocks.append(mrkdwn_context("The prompt has no principles yet: judged on the task alone."))
    blocks.append(
        mrkdwn_context(
            f"{calls.made} model calls made, {calls.answers_cached + calls.judge_cached} "
            "answers reused from earlier comparisons. Full detail in the CSV file below."
        )
    )
    if offer_make_current:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    button(
                        f"Make version {c.b} current", MAKE_CURRENT_ACTION, c.compare_id, "primary"
                    )
                ],
            }
        )
        blocks.append(
            mrkdwn_context(f"Runs keep using version {c.a} until someone makes B current.")
        )
    return Message(text=f"{c.name}: {counts.replace('*', '')}", blocks=blocks)


def _answer_field(label: str, answer: str) -> dict[str, str]:
    shown = markdown_preview(answer, _FIELD_ROOM) if answer.strip() else "_(empty)_"
    return {"type": "mrkdwn", "text": f"*{label}*\n{shown}"}


def loss(item: ExampleComparison) -> Message:
    """One example where B lost: its input, the reason, and both answers side by side."""
    values = ", ".join(f"`{k}` = {v}" for k, v in item.example.values.items())
    head = f"*B lost on {item.example.id or 'an example'}*: {escaped_preview(values, 1500)}"
    blocks: list[Block] = [
        mrkdwn_section(head),
        {
            "type": "section",
            "fields": [_answer_field("A", item.answer_a), _answer_field("B", item.answer_b)],
        },
        mrkdwn_context(escaped_preview(f"Why: {item.reason}", 1500)),
    ]
    if item.deciding_principles:
        cited = "; ".join(item.deciding_principles)
        blocks.append(mrkdwn_context(escaped_preview(f"Decided by: {cited}", 1500)))
    return Message(text=f"B lost on {item.example.id}", blocks=blocks)


def more_losses(count: int) -> Message:
    return Message(
        text=f"{count} more losses",
        blocks=[mrkdwn_context(f"…and {count} more examples where B lost: see the CSV file.")],
    )


def csv_comment(c: Comparison) -> str:
    return f"Every example of the comparison of `{c.name}` version {c.a} (A) with {c.b} (B)."


def made_current(c: Comparison, user: str) -> Message:
    text = f"<@{user}> made version {c.b} of `{c.name}` current after the comparison."
    return Message(text=text, blocks=[mrkdwn_section(text)])


def kept_aside(name: str, before: int, after: int, user: str, diff: str) -> Message:
    """A version applied with ``--compare``: made, not current, and being compared."""
    from bot.slack.blocks import MESSAGE_BLOCK_LIMIT, code_sections, fit_blocks

    blocks: list[Block] = [
        mrkdwn_section(
            f"*Applied the principles* of `{name}` into version {after}, by <@{user}>. It is kept "
            f"aside: runs still use version {before} until someone clicks *Make current* on the "
            "comparison below."
        ),
        *(
            code_sections(escape_mrkdwn(diff))
            if diff
            else [mrkdwn_context("The template came back unchanged.")]
        ),
    ]
    blocks = fit_blocks(blocks, MESSAGE_BLOCK_LIMIT, f"`/align history {name}` lists the versions.")
    return Message(text=f"{name}: version {after} kept aside for a comparison", blocks=blocks)
