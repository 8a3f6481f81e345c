"""The report of a mixture of experts: each expert's rules, its share of the rows, its accuracy."""

from __future__ import annotations

from alignment._labeler.types import Expert, LabelerAttribute, LabelerCheckpoint, Scorecard
from bot.labelers.report import TrainingReport, report_messages
from tests.bot.labelers.jobs.support import all_text


def expert(rule: str, label: str, rows: int) -> Expert:
    rules = [LabelerAttribute(id="R1", value=rule, label=label)]
    return Expert(LabelerCheckpoint(attributes=rules), [1.0, 0.0], list(range(rows)))


SCORECARD: Scorecard = {
    "precision": [0.9, 0.5],
    "recall": [0.75, 0.8],
    "fscore": [0.818, 0.615],
    "support": [12, 8],
    "n_empty": 0,
    "accuracy": 0.75,
    "confusion_matrix": [[9, 3], [2, 6]],
    "experts": [
        {"expert": 0, "rows": 15, "share": 0.75, "accuracy": 0.8},
        {"expert": 1, "rows": 5, "share": 0.25, "accuracy": 0.6},
    ],
}


def test_each_expert_shows_its_rules_share_and_accuracy() -> None:
    checkpoint = LabelerCheckpoint(
        experts=[expert("Sells *prizes*", "spam", 30), expert("A note from a friend", "ham", 10)]
    )
    report = TrainingReport(
        labeler="spam",
        version=2,
        label_values=["ham", "spam"],
        scorecard=SCORECARD,
        checkpoint=checkpoint,
        steps=[],
        steps_total=2,
        model_calls=10,
        cache_hits=0,
        prompt_tokens=0,
        output_tokens=0,
        duration_seconds=5,
    )
    messages = report_messages(report)
    summary = all_text({"text": messages[0][0], "blocks": messages[0][1]})
    assert "• Expert 1: 75% of the rows (15), accuracy 80.0%" in summary
    assert "• Expert 2: 25% of the rows (5), accuracy 60.0%" in summary
    # The scorecard table keeps to the labels; the experts have their own section.
    assert summary.count("accuracy 80.0%") == 1
    rules = "\n".join(all_text({"text": text, "blocks": blocks}) for text, blocks in messages[1:])
    first, second = (
        rules.index("*Expert 1 of 2* (75% of the training rows)"),
        rules.index("*Expert 2 of 2* (25% of the training rows)"),
    )
    assert first < rules.index("Sells _prizes_") < second < rules.index("A note from a friend")
