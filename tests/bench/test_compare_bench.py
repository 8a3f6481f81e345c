"""The comparison benchmark runs end to end in a tiny configuration and reports its counts."""

from __future__ import annotations

import json
from pathlib import Path

from compare import main  # bench/compare.py, on the path the bench conftest sets


def test_a_tiny_run_counts_every_call_and_pays_only_for_the_changed_version(
    tmp_path: Path,
) -> None:
    summary = main(["--examples", "6", "--latency", "0", "--out-dir", str(tmp_path)])
    first, second = summary["first"], summary["second_after_b_changed"]
    assert (first["calls"], first["judge_calls"], first["b_better"]) == (24, 12, 6)
    assert second["calls"] == second["expected_calls"] == 18
    assert (second["answers_made"], second["answers_cached"]) == (6, 6)
    assert json.loads((tmp_path / "compare.json").read_text())["examples"] == 6
