"""The experts benchmark runs end to end in a tiny configuration, on data built as it says."""

from __future__ import annotations

import json
from pathlib import Path

from labeler_experts import OppositeRulesModel, group_of, main
from simulated_model import make_ticket


def test_a_tiny_run_compares_one_rule_set_with_two_experts(tmp_path: Path) -> None:
    summary = main(
        ["--seeds", "1", "--steps", "1", "--train-rows", "60", "--test-rows", "40",
         "--out-dir", str(tmp_path)]
    )  # fmt: skip
    written = json.loads((tmp_path / "labeler_experts.json").read_text())
    assert written["summary"] == summary
    run = written["runs"][0]
    assert run["one_rule_set"]["experts"] == []
    assert sum(expert["rows"] for expert in run["two_experts"]["experts"]) == 40


def test_one_rule_helps_one_group_and_misleads_the_other() -> None:
    model = OppositeRulesModel(latency=0.0, record_timeline=False)
    keys = [make_ticket(index)[0].split(":")[0] for index in range(40)]
    groups = {group_of(key) for key in keys}
    assert groups == {0, 1}
    for key in keys[:10]:
        assert model.rule_helps("0000abcd", key) != model.rule_helps(
            "0000abcd", next(k for k in keys if group_of(k) != group_of(key))
        )


def test_the_simulated_embedding_separates_the_groups() -> None:
    model = OppositeRulesModel(latency=0.0, record_timeline=False)
    texts = [make_ticket(index)[0] for index in range(20)]
    for text, vector in zip(texts, model.embed(texts), strict=True):
        key = text.split(":")[0]
        assert (vector[0] > vector[1]) == bool(group_of(key))
