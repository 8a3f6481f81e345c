"""Scores turned into labels with a threshold, in the loader and in the split summary."""

from __future__ import annotations

import pytest

from alignment.data import describe_split, load_dataset, load_rows_to_label, split_dataset
from alignment.errors import DatasetError

SCORES = "comment,isHate\n" + "".join(
    f"comment {i},{score}\n" for i, score in enumerate([0.0, 0.2, 0.5, 0.7, 1.0, 0.49] * 4)
)


def test_scores_are_refused_without_a_threshold() -> None:
    with pytest.raises(DatasetError, match="threshold"):
        load_dataset(SCORES.encode(), ["comment"], "isHate")


def test_a_threshold_turns_scores_into_labels_at_or_above_it() -> None:
    frame = load_dataset(SCORES.encode(), ["comment"], "isHate", threshold=0.5)
    assert frame["isHate"].tolist()[:6] == [False, False, True, True, True, False]
    assert all(type(value) is bool for value in frame["isHate"])


def test_the_split_summary_says_how_labels_were_made() -> None:
    frame = load_dataset(SCORES.encode(), ["comment"], "isHate", threshold=0.5)
    train, test = split_dataset(frame, "isHate", 0.25, 1)
    assert "True where isHate >= 0.5, False otherwise" in describe_split(train, test, "isHate", 0.5)
    assert "True where" not in describe_split(train, test, "isHate")


def test_a_threshold_on_a_column_that_is_not_numbers_is_explained() -> None:
    data = "comment,isHate\n" + "".join(f"c{i},{'yes' if i % 2 else 0.3}\n" for i in range(8))
    with pytest.raises(DatasetError, match="not a number"):
        load_dataset(data.encode(), ["comment"], "isHate", threshold=0.5)


def test_rows_to_label_read_a_score_column_by_the_labelers_rule() -> None:
    data = "comment;isHate\nc1;0.9\nc2;0.1\nc3;0.5\n"  # semicolons, as in the ETHOS file
    frame = load_rows_to_label(data.encode(), ["comment"], "isHate", threshold=0.5)
    assert frame["comment"].tolist() == ["c1", "c2", "c3"]
    assert frame["isHate"].tolist() == [True, False, True]


def test_rows_to_label_may_hold_a_single_label_or_none_at_all() -> None:
    one_label = "comment,isHate\nc1,0.9\nc2,0.8\n"
    frame = load_rows_to_label(one_label.encode(), ["comment"], "isHate", threshold=0.5)
    assert frame["isHate"].tolist() == [True, True]
    plain = load_rows_to_label(b"comment,other\nc1,x\n", ["comment"], "isHate", threshold=0.5)
    assert list(plain.columns) == ["comment"]


def test_rows_to_label_explain_a_blank_known_label() -> None:
    with pytest.raises(DatasetError, match="blank in 1 of 2 rows"):
        load_rows_to_label(b"comment,isHate\nc1,true\nc2,\n", ["comment"], "isHate")


def test_an_ethos_shaped_file_is_read_with_its_semicolons() -> None:
    # The ETHOS binary CSV: ';' separated, commas and apostrophes inside unquoted comments,
    # and isHate written as fractions of annotators (0.0 to 1.0).
    scores = [0.0, 0.166667, 0.5, 0.833333, 1.0, 0.333333] * 4
    rows = [f"You're wrong, and {i} times so, aren't you;{score}" for i, score in enumerate(scores)]
    data = ("comment;isHate\n" + "\n".join(rows) + "\n").encode()
    frame = load_dataset(data, ["comment"], "isHate", threshold=0.5)
    assert frame["comment"][0] == "You're wrong, and 0 times so, aren't you"
    assert frame["isHate"].tolist()[:6] == [False, False, True, True, True, False]
