"""Scores turned into labels with a threshold, in the loader and in the split summary."""

from __future__ import annotations

import pytest

from alignment.data import describe_split, load_dataset, split_dataset
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
