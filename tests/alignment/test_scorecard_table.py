"""The scorecard table printed after each training step."""

from __future__ import annotations

from alignment._labeler.scorecard_table import format_scorecard


def test_one_row_per_label_in_label_order_then_accuracy() -> None:
    scorecard = {
        "precision": [0.5, 1.0],
        "recall": [1.0, 0.75],
        "fscore": [2 / 3, 6 / 7],
        "support": [2, 8],
        "accuracy": 0.8,
        "n_empty": 1,
        "confusion_matrix": [[2, 0], [2, 6]],
    }
    lines = format_scorecard(scorecard, [False, "hateful speech"]).splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "F1", "support"]
    assert lines[1].split() == ["False", "0.500", "1.000", "0.667", "2"]
    assert lines[2].split() == ["hateful", "speech", "1.000", "0.750", "0.857", "8"]
    assert lines[3] == "accuracy 0.800 on 10 rows; 1 answers named no label"
    # Columns line up: every number column ends at the same place as its heading.
    assert len({len(line) for line in lines[:3]}) == 1
