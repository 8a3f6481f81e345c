"""The end-of-training report: pure functions from results to Slack messages.

One summary message (accuracy, the per-label scorecard and the confusion matrix on the test
rows, what each step changed, model usage, duration), then the learned rules for each label,
split over as many messages as Slack's size limits need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alignment.data import count_of
from alignment.labeler import LabelerCheckpoint, LabelValue, Scorecard, format_scorecard
from bot.labelers.progress import format_duration
from bot.labelers.run_state import StepResult
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    code_sections,
    mrkdwn_section,
    mrkdwn_sections,
)
from bot.slack.chunking import escape_mrkdwn, group_for_messages, split_text
from bot.slack.mrkdwn import to_mrkdwn

Block = dict[str, Any]
Message = tuple[str, list[Block]]
_CORNER = "true \\ predicted"


@dataclass(frozen=True)
class TrainingReport:
    labeler: str
    version: int
    label_values: Sequence[LabelValue]
    scorecard: Scorecard  # on the test rows
    checkpoint: LabelerCheckpoint
    steps: Sequence[StepResult]
    steps_total: int
    model_calls: int
    cache_hits: int
    prompt_tokens: int
    output_tokens: int
    duration_seconds: float
    start: StepResult | None = None  # step 0: the rules before the first step


def confusion_table(scorecard: Scorecard, label_values: Sequence[LabelValue]) -> str:
    """Rows: the true label; columns: the predicted label."""
    names = [str(value) for value in label_values]
    row_width = max(len(_CORNER), *(len(name) for name in names))
    widths = [max(len(name), 5) for name in names]
    lines = [
        f"{_CORNER:<{row_width}}  "
        + "  ".join(f"{name:>{width}}" for name, width in zip(names, widths, strict=True))
    ]
    for name, counts in zip(names, scorecard["confusion_matrix"], strict=True):
        cells = "  ".join(f"{count:>{width},}" for count, width in zip(counts, widths, strict=True))
        lines.append(f"{name:<{row_width}}  {cells}")
    if scorecard.get("n_empty"):
        empty = count_of(scorecard["n_empty"], "answer")
        lines.append(f"Not counted above: {empty} naming no label.")
    return "\n".join(lines)


def _test_text(result: StepResult) -> str:
    return "not measured" if result.test_accuracy is None else f"{result.test_accuracy:.1%}"


def step_lines(steps: Sequence[StepResult], start: StepResult | None = None) -> str:
    lines = []
    if start is not None:
        lines.append(
            f"• Step 0 (before training, no rules yet): validation {start.validation_score:.3f}, "
            f"test {_test_text(start)}."
        )
    for result in steps:
        test = _test_text(result)
        # The change is the model's own words: its Markdown shown as formatting, made safe.
        change = (
            to_mrkdwn(result.change)
            if result.change
            else "kept the rules as they were (no candidate scored higher)"
        )
        lines.append(
            f"• Step {result.step}: validation {result.validation_score:.3f}, test {test}. {change}"
        )
    return "\n".join(lines)


def principles_text(checkpoint: LabelerCheckpoint, label_values: Sequence[LabelValue]) -> str:
    """The learned rules per label, as mrkdwn: the rules are the model's Markdown, converted.

    A mixture of experts lists each expert's rules under its share of the training rows."""
    if not checkpoint.experts:
        return _rules_text(checkpoint, label_values)
    total = sum(len(expert.rows) for expert in checkpoint.experts) or 1
    count = len(checkpoint.experts)
    return "\n\n".join(
        f"*Expert {number} of {count}* ({len(expert.rows) / total:.0%} of the training rows)"
        f"\n\n{_rules_text(expert.checkpoint, label_values)}"
        for number, expert in enumerate(checkpoint.experts, start=1)
    )


def experts_text(scorecard: Scorecard) -> str | None:
    """Each expert's share of the test rows and its accuracy on them (None: one rule set)."""
    experts = scorecard.get("experts") or []
    if not experts:
        return None
    lines = ["*Experts, on the test rows*"]
    lines += [
        f"• Expert {expert['expert'] + 1}: {expert['share']:.0%} of the rows "
        f"({expert['rows']:,}), accuracy {expert['accuracy']:.1%}"
        for expert in experts
    ]
    return "\n".join(lines)


def _without_experts(scorecard: Scorecard) -> dict[str, Any]:
    return {key: value for key, value in scorecard.items() if key != "experts"}


def _rules_text(checkpoint: LabelerCheckpoint, label_values: Sequence[LabelValue]) -> str:
    parts = []
    for value in label_values:
        rules = checkpoint.rules_for(value)
        lines = [f"*Rules for {escape_mrkdwn(str(value))}*"]
        lines += [
            f"• {escape_mrkdwn(str(rule['id']))}: {to_mrkdwn(rule['value'])}" for rule in rules
        ] or ["• (none)"]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _code(text: str) -> list[Block]:
    # Many labels make wide tables: split over sections rather than break the 3,000 limit.
    return code_sections(escape_mrkdwn(text))


def report_messages(report: TrainingReport) -> list[Message]:
    """The report as (fallback text, blocks) messages, in posting order."""
    total = sum(report.scorecard["support"])
    accuracy = report.scorecard["accuracy"]
    name = escape_mrkdwn(report.labeler)
    headline = (
        f":clipboard: *Report for `{name}`* (version {report.version}): test accuracy "
        f"*{accuracy:.1%}* on {total:,} held-out rows after {len(report.steps)} of "
        f"{report.steps_total} steps."
    )
    usage = (
        f"{report.model_calls:,} model calls ({report.cache_hits:,} more answered from the "
        f"cache) · {report.prompt_tokens:,} prompt tokens + {report.output_tokens:,} output "
        f"tokens · {format_duration(report.duration_seconds)}"
    )
    summary: list[Block] = [
        mrkdwn_section(headline),
        mrkdwn_section("*Per label, on the test rows*"),
        # Experts get a section of their own below, not lines in the table.
        *_code(format_scorecard(_without_experts(report.scorecard), list(report.label_values))),
        mrkdwn_section("*Confusion matrix* (rows: true label, columns: predicted)"),
        *_code(confusion_table(report.scorecard, report.label_values)),
    ]
    experts = experts_text(report.scorecard)
    if experts is not None:
        summary.append(mrkdwn_section(experts))
    if report.steps:
        summary.extend(mrkdwn_sections(step_lines(report.steps, report.start)))
    summary.append({"type": "context", "elements": [{"type": "mrkdwn", "text": usage}]})
    headline_text = f"Report for {report.labeler}: test accuracy {accuracy:.1%} on {total:,} rows"
    # With very many labels the tables alone can pass 50 blocks: continue in the next message.
    messages: list[Message] = [
        (headline_text if start == 0 else f"Report for {report.labeler} (continued)", part)
        for start in range(0, len(summary), MESSAGE_BLOCK_LIMIT)
        for part in [summary[start : start + MESSAGE_BLOCK_LIMIT]]
    ]
    pieces = split_text(principles_text(report.checkpoint, report.label_values), SECTION_TEXT_LIMIT)
    for group in group_for_messages(pieces):
        blocks = [mrkdwn_section(piece) for piece in group]
        messages.append((f"Learned rules of {report.labeler}", blocks))
    return messages
