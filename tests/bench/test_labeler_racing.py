"""The racing benchmark runs end to end in a tiny configuration and reports what it compared."""

from __future__ import annotations

import json
from pathlib import Path

from labeler_racing import StepOutcome, main
from rule_reading_model import RuleReadingModelMixin, topic_of

from alignment._providers.base import ModelHelper


class Model(RuleReadingModelMixin, ModelHelper):
    pass


def classify(ticket_key: str, rules: list[str]) -> str:
    listed = "\n".join(rules)
    return f"{listed}\nTicket: {ticket_key}: words\nWhich label? answer_"


def test_a_tiny_run_compares_both_ways_and_writes_its_numbers(tmp_path: Path) -> None:
    summary = main(["--steps", "2", "--train-rows", "60", "--out-dir", str(tmp_path)])
    assert summary["steps"] == 2
    assert summary["raced_calls_per_step"] <= summary["full_calls_per_step"]
    written = json.loads((tmp_path / "labeler_racing.json").read_text())
    assert len(written["steps"]) == 2


def test_a_good_rule_fixes_its_topic_and_a_misleading_one_breaks_it() -> None:
    model = Model(latency=0.0, record_timeline=False)
    key = "ticket-0123456789"
    plain = model.predict(classify(key, []), 0.0)
    answers = set()
    for number in range(200):
        tag = f"{number:08x}"
        answers.add(model.predict(classify(key, [f"A rule. [rule {tag}]"]), 0.0))
    # Rules about other topics leave the plain answer; rules about this one change it.
    assert plain in answers and len(answers) >= 2
    assert 0 <= topic_of(key) < 8


def test_within_one_row_counts_as_the_same_choice() -> None:
    outcome = StepOutcome(0, 700, 400, 0.71, 0.70, False, 100)
    assert outcome.same_choice
    assert not StepOutcome(0, 700, 400, 0.71, 0.69, False, 100).same_choice
