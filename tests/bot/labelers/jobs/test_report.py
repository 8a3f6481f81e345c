"""The end-of-training report and the accuracy plot."""

from __future__ import annotations

import io
from dataclasses import replace

import matplotlib.image

from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint, Scorecard
from bot.labelers.plot import accuracy_plot_png
from bot.labelers.report import TrainingReport, confusion_table, report_messages
from bot.labelers.run_state import StepResult
from bot.slack.chunking import MAX_BLOCKS_PER_MESSAGE, SECTION_TEXT_LIMIT
from tests.bot.labelers.jobs.support import all_text

SCORECARD: Scorecard = {
    "precision": [0.9, 0.5],
    "recall": [0.75, 0.8],
    "fscore": [0.818, 0.615],
    "support": [12, 5],
    "n_empty": 1,
    "accuracy": 0.7647,
    "confusion_matrix": [[9, 2], [1, 4]],
}
STEPS = [
    StepResult(step=1, version=1, validation_score=0.6, test_accuracy=0.65, change="initial rules"),
    StepResult(step=2, version=2, validation_score=0.7, test_accuracy=None, change=None),
    StepResult(step=3, version=3, validation_score=0.8, test_accuracy=0.7647, change="added R3"),
]


def report(rules: list[LabelerAttribute]) -> TrainingReport:
    return TrainingReport(
        labeler="spam",
        version=3,
        label_values=["ham", "spam"],
        scorecard=SCORECARD,
        checkpoint=LabelerCheckpoint(attributes=rules),
        steps=STEPS,
        steps_total=3,
        model_calls=1500,
        cache_hits=42,
        prompt_tokens=123456,
        output_tokens=7890,
        duration_seconds=754,
    )


def test_the_summary_has_scores_per_label_the_confusion_matrix_steps_and_usage() -> None:
    rules = [
        LabelerAttribute(id="R1", value="Talks about <prizes> & money", label="spam"),
        LabelerAttribute(id="R2", value="A personal note", label="ham"),
    ]
    messages = report_messages(report(rules))
    summary = all_text({"text": messages[0][0], "blocks": messages[0][1]})
    assert "test accuracy *76.5%* on 17 held-out rows after 3 of 3 steps" in summary
    assert "ham        0.900      0.750      0.818         12" in summary
    assert "spam       0.500      0.800      0.615          5" in summary
    assert "Not counted above: 1 answer naming no label." in summary
    assert "Step 2: validation 0.700, test not measured. kept the rules" in summary
    assert "1,500 model calls (42 more answered from the cache)" in summary
    assert "123,456 prompt tokens + 7,890 output tokens · 12m 34s" in summary
    rules_text = "\n".join(all_text({"blocks": blocks}) for _, blocks in messages[1:])
    assert "*Rules for spam*\n• R1: Talks about &lt;prizes&gt; &amp; money" in rules_text
    assert "*Rules for ham*\n• R2: A personal note" in rules_text


def test_the_confusion_matrix_puts_true_labels_in_rows() -> None:
    lines = confusion_table(SCORECARD, ["ham", "spam"]).splitlines()
    assert lines[0].split()[-2:] == ["ham", "spam"]
    assert lines[1].split()[-3:] == ["ham", "9", "2"]
    assert lines[2].split()[-3:] == ["spam", "1", "4"]


def test_many_long_rules_are_spread_over_messages_within_slack_limits() -> None:
    rules = [
        LabelerAttribute(id=f"R{i}", value="word " * 150, label="spam" if i % 2 else "ham")
        for i in range(1, 200)
    ]
    messages = report_messages(report(rules))
    assert len(messages) > 2
    for _, blocks in messages:
        assert len(blocks) <= MAX_BLOCKS_PER_MESSAGE
        assert all(
            len(block["text"]["text"]) <= SECTION_TEXT_LIMIT for block in blocks if "text" in block
        )
    shown = "\n".join(all_text({"blocks": blocks}) for _, blocks in messages[1:])
    assert all(f"• R{i}: " in shown for i in range(1, 200))


def test_the_plot_is_a_png_chart() -> None:
    png = accuracy_plot_png("spam", STEPS, "accuracy")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (360, 640)
    assert len({tuple(pixel) for pixel in pixels.reshape(-1, pixels.shape[2])[::97]}) > 3


def test_rules_and_changes_show_the_models_markdown_as_formatting_safely() -> None:
    rules = [
        LabelerAttribute(id="R1", value="**Mentions** a _prize_ <!channel>", label="spam"),
        LabelerAttribute(id="R2", value="A `note` [from](https://x.example) a friend", label="ham"),
    ]
    steps = [StepResult(step=1, version=1, validation_score=0.6, change="added **R1** <@U1>")]
    messages = report_messages(replace(report(rules), steps=steps))
    summary = all_text({"blocks": messages[0][1]})
    assert "added *R1* &lt;@U1&gt;" in summary
    rules_text = "\n".join(all_text({"blocks": blocks}) for _, blocks in messages[1:])
    assert "• R1: *Mentions* a _prize_ &lt;!channel&gt;" in rules_text
    assert "• R2: A `note` <https://x.example|from> a friend" in rules_text
