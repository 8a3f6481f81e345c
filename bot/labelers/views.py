"""Block Kit messages about labelers, as pure functions of plain values.

Replies to uploads, cancels and notification settings, predicted labels, and the labeler parts of
`/align list`, `/align show` and the App Home tab. Nothing here talks to Slack or Redis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alignment.labeler import EMPTY_PREDICTION, LabelerCheckpoint, Scorecard, format_scorecard
from bot.commands.labelers import TRAINING_USAGE
from bot.labelers.labelling import KnownLabels
from bot.labelers.report import confusion_table, principles_text
from bot.labelers.store import CheckpointVersion, LabelerSummary, NotificationSettings
from bot.slack.blocks import (
    Block,
    Message,
    code_sections,
    escaped_preview,
    fit_blocks,
    mrkdwn_context,
    mrkdwn_section,
    shorten,
)
from bot.slack.chunking import escape_mrkdwn, split_for_sections

# Slack shows at most 50 blocks in a message.
MAX_MESSAGE_BLOCKS = 50


def _code(text: str) -> list[Block]:
    # Many labels make wide tables: split over sections rather than break the 3,000 limit.
    return code_sections(escape_mrkdwn(text))


def _name(name: str) -> str:
    return f"`{escape_mrkdwn(name)}`"


def accuracy_text(accuracy: float | None) -> str:
    return "not measured yet" if accuracy is None else f"{accuracy:.1%}"


def upload_problem(name: str, user: str, problem: str) -> Message:
    """Why an upload cannot be used, posted in its thread; ``problem`` says how to fix it."""
    return Message(
        text=f"I could not use the file for {name}: {problem}",
        blocks=[
            mrkdwn_section(
                f":warning: <@{user}>, I could not use this file for {_name(name)}.\n"
                f"{escaped_preview(problem, 2500)}"
            ),
            mrkdwn_context(
                "Nothing was stored. Fix the file and upload it again with the same message."
            ),
        ],
    )


def cancel_requested(name: str, user: str) -> Message:
    return Message(
        text=f"Stopping the training of {name}",
        blocks=[
            mrkdwn_section(
                f":black_square_for_stop: <@{user}> asked to stop training {_name(name)}. It stops "
                "within seconds; the last finished step is kept."
            )
        ],
    )


def nothing_to_cancel(name: str) -> str:
    return (
        f"`{name}` is not training or being compared, so there is nothing to stop. "
        "`/align cancel NAME` stops a labeler's training or a prompt's comparisons."
    )


def describe_notifications(settings: NotificationSettings) -> str:
    where = f"<#{settings.channel}>" if settings.channel else "the channel each training runs in"
    if settings.channel and settings.channel.startswith("#"):
        where = escape_mrkdwn(settings.channel)
    target = f", and when it crosses {settings.target:.0%}" if settings.target is not None else ""
    return (
        f"to {where} when a training ends, after a step when test accuracy moves by "
        f"{settings.delta * 100:.1f} points or more{target}"
    )


def notifications_saved(name: str, settings: NotificationSettings) -> Message:
    return Message(
        text=f"Accuracy notices of {name} updated",
        blocks=[
            mrkdwn_section(
                f":bell: Accuracy notices of {_name(name)} go {describe_notifications(settings)}."
            )
        ],
    )


def notifications_shown(name: str, settings: NotificationSettings) -> Message:
    return Message(
        text=f"Accuracy notices of {name}",
        blocks=[
            mrkdwn_section(
                f"Accuracy notices of {_name(name)} go {describe_notifications(settings)}."
            ),
            mrkdwn_context(f"Change them with `{TRAINING_USAGE['notify']}`."),
        ],
    )


def _example_line(values: Mapping[str, str]) -> str:
    parts = []
    for column, value in values.items():
        one_line = " ".join(value.split())
        shown = one_line if len(one_line) <= 300 else one_line[:299] + "…"
        parts.append(f"`{escaped_preview(column, 200)}` = {escape_mrkdwn(shown)}")
    # Context text holds 3,000 characters; the person sees their own values cut, not an error.
    return shorten(" · ".join(parts), 2900)


def prediction(
    name: str, version: int, label_name: str, values: Mapping[str, str], predicted: Any, raw: str
) -> Message:
    """The label ``name`` (at ``version``) gave one example."""
    if predicted == EMPTY_PREDICTION:
        answer = (
            f"named none of its labels (it answered `{escaped_preview(raw.strip(), 200)}`). "
            "Try again, or add a rule for examples like this by training on more of them."
        )
        text = f"{name} gave no label"
    else:
        answer = (
            f"says *{escaped_preview(label_name, 500)}* = *{escaped_preview(str(predicted), 1000)}*"
        )
        text = f"{name}: {label_name} = {predicted}"
    return Message(
        text=text,
        blocks=[
            mrkdwn_section(f":label: {_name(name)} (version {version}) {answer}"),
            mrkdwn_context(_example_line(values)),
        ],
    )


def predictions_comment(
    name: str,
    version: int,
    rows: int,
    unlabelled: int,
    column: str,
    user: str,
    known: KnownLabels | None = None,
) -> str:
    """The comment on a predictions CSV uploaded in the thread."""
    missed = f" {unlabelled:,} got no label (left blank)." if unlabelled else ""
    scored = ""
    if known is not None:
        share = known.right / known.rows if known.rows else 0.0
        rule = f" {escape_mrkdwn(known.rule)}" if known.rule else ""
        scored = (
            f" The file has the column `{known.column}`: {known.right:,} of {known.rows:,} "
            f"answers match it ({share:.0%}).{rule}"
        )
    return (
        f"<@{user}>: {rows:,} rows labelled by `{name}` (version {version}); the answers are in "
        f"the column `{column}`.{missed}{scored}"
    )


def labelling_started(name: str, rows: int) -> Message:
    return Message(
        text=f"Labelling {rows} rows with {name}",
        blocks=[
            mrkdwn_context(f":hourglass_flowing_sand: Labelling {rows:,} rows with {_name(name)}…")
        ],
    )


def labeler_list_blocks(summaries: Sequence[LabelerSummary]) -> list[Block]:
    """The labelers part of `/align list`."""
    if not summaries:
        return [mrkdwn_context("No labelers yet. Train one with `/align train NAME`.")]
    lines = [
        f"• {_name(summary.name)} version {summary.current_version}, test accuracy "
        f"{accuracy_text(summary.accuracy)}"
        for summary in summaries
    ]
    blocks = [mrkdwn_section(f"*Labelers in this workspace ({len(summaries)})*")]
    blocks += [mrkdwn_section(piece) for piece in split_for_sections("\n".join(lines))]
    return blocks


def _settings_line(settings: Mapping[str, Any]) -> str:
    inputs = ", ".join(f"`{escape_mrkdwn(str(name))}`" for name in settings.get("input_names", []))
    values = ", ".join(
        f"`{escape_mrkdwn(str(value))}`" for value in settings.get("label_values", [])
    )
    label = escape_mrkdwn(str(settings.get("label_name", "")))
    threshold = settings.get("score_threshold")
    # A labeler trained from scores says its rule: files it labels are read by it too.
    scores = f" (from scores: True where ≥ {threshold:g})" if threshold is not None else ""
    experts = int(settings.get("n_experts") or 1)
    if experts > 1:
        scores += f"; a mixture of {experts} experts"
    # Long column names or many labels would overflow the section: cut, the rest is in the CSV.
    return shorten(f"Reads {inputs}; decides `{label}`: {values}{scores}", 1200)


def labeler_details(
    name: str,
    current: CheckpointVersion | None,
    versions: int,
    scorecard: tuple[int, Scorecard] | None,
    training: bool,
    notifications: NotificationSettings,
) -> Message:
    """`/align show NAME` for a labeler: what it does, its rules and its last test scores."""
    if current is None:
        return Message(
            text=f"{name}: no version yet",
            blocks=[
                mrkdwn_section(f"*{_name(name)}* has no trained version yet."),
                mrkdwn_context("Its first version is saved when step 1 of its training finishes."),
            ],
        )
    settings = current.settings
    task = escaped_preview(str(settings.get("task_description", "")), 1500)
    status = " · training now" if training else ""
    blocks: list[Block] = [
        mrkdwn_section(
            f"*{_name(name)}* version {current.version} of {versions}{status}\n"
            f"{_settings_line(settings)}\n_{task}_"
        )
    ]
    label_values = list(settings.get("label_values", []))
    if scorecard is not None:
        scored_version, card = scorecard
        blocks.append(
            mrkdwn_section(
                f"*Last test scores* (version {scored_version}): accuracy "
                f"*{accuracy_text(float(card['accuracy']))}*"
            )
        )
        blocks.extend(_code(format_scorecard(dict(card), label_values)))
        blocks.extend(_code(confusion_table(card, label_values)))
    blocks.extend(_rule_sections(current.checkpoint, label_values))
    blocks.append(mrkdwn_context(f"Accuracy notices go {describe_notifications(notifications)}."))
    pointer = "The report in the thread of its last training lists every rule."
    blocks = fit_blocks(blocks, MAX_MESSAGE_BLOCKS, pointer)
    return Message(text=f"{name} version {current.version}", blocks=blocks)


def _rule_sections(checkpoint: LabelerCheckpoint, label_values: Sequence[Any]) -> list[Block]:
    text = principles_text(checkpoint, label_values)
    return [mrkdwn_section(escape_mrkdwn(piece)) for piece in split_for_sections(text)]


def rolled_back(name: str, user: str, version: int, previous: int) -> Message:
    return Message(
        text=f"{name} rolled back to version {version}",
        blocks=[
            mrkdwn_section(
                f":rewind: <@{user}> rolled {_name(name)} back from version {previous} to "
                f"version {version}. Labels now come from version {version}'s rules."
            )
        ],
    )


def home_blocks(summaries: Sequence[LabelerSummary], room: int) -> list[Block]:
    """The labelers section of the App Home tab, in at most ``room`` blocks."""
    if room < 2:
        return []
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Labelers in this workspace"}}
    ]
    if not summaries:
        blocks.append(mrkdwn_section("No labelers yet. Train one with `/align train NAME`."))
        return blocks
    for summary in summaries:
        if len(blocks) >= room - 1:
            blocks.append(mrkdwn_context("…and more: see `/align list`."))
            break
        blocks.append(
            mrkdwn_section(
                f"*{_name(summary.name)}* version {summary.current_version} · test accuracy "
                f"{accuracy_text(summary.accuracy)}"
            )
        )
    return blocks
