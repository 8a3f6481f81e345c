"""Stratified, seeded train/test splits and their readable summary."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from alignment.data import describe_split, split_dataset


def labelled(counts: dict[object, int]) -> pd.DataFrame:
    labels = [label for label, count in counts.items() for _ in range(count)]
    return pd.DataFrame(
        {"text": [f"row {i}" for i in range(len(labels))], "label": pd.Series(labels, dtype=object)}
    )


def test_split_is_stratified_and_partitions_the_rows() -> None:
    frame = labelled({"a": 60, "b": 30, "c": 10})
    train, test = split_dataset(frame, "label", test_fraction=0.2, seed=3)
    assert Counter(test["label"]) == {"a": 12, "b": 6, "c": 2}
    assert Counter(train["label"]) == {"a": 48, "b": 24, "c": 8}
    assert sorted([*train.index, *test.index]) == list(range(100))
    assert set(train["text"]).isdisjoint(test["text"])
    # Rows keep their original label: the index still points at the same row of the input.
    assert (frame.loc[test.index, "text"] == test["text"]).all()


def test_total_test_size_matches_the_fraction_despite_rounding() -> None:
    frame = labelled({"a": 7, "b": 7, "c": 7})
    train, test = split_dataset(frame, "label", test_fraction=0.3, seed=0)
    assert len(test) == round(21 * 0.3)
    assert len(train) + len(test) == 21


def test_every_label_lands_in_both_parts_when_possible() -> None:
    frame = labelled({True: 95, False: 4, "rare": 2, "single": 1})
    train, test = split_dataset(frame, "label", test_fraction=0.05, seed=1)
    assert {True, False, "rare"} <= set(test["label"])
    assert {True, False, "rare", "single"} == set(train["label"])
    assert "single" not in set(test["label"])


def test_same_seed_same_split_other_seed_other_split() -> None:
    frame = labelled({"a": 50, "b": 50})
    first = split_dataset(frame, "label", 0.25, seed=11)
    again = split_dataset(frame, "label", 0.25, seed=11)
    other = split_dataset(frame, "label", 0.25, seed=12)
    assert list(first[1].index) == list(again[1].index)
    assert list(first[0].index) == list(again[0].index)
    assert set(first[1].index) != set(other[1].index)


def test_parts_are_shuffled_so_their_first_rows_mix_labels() -> None:
    # Files are often sorted by label; the head of each part must not be one label only.
    frame = labelled({"a": 100, "b": 100})
    train, test = split_dataset(frame, "label", 0.2, seed=0)
    assert set(train["label"].head(20)) == {"a", "b"}
    assert set(test["label"].head(20)) == {"a", "b"}


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_outside_zero_and_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_dataset(labelled({"a": 5, "b": 5}), "label", fraction, seed=0)


def test_describe_split_counts_each_label_per_part() -> None:
    frame = labelled({True: 40, False: 20, "single": 1})
    train, test = split_dataset(frame, "label", 0.25, seed=0)
    summary = describe_split(train, test, "label")
    lines = summary.splitlines()
    assert lines[0] == "61 rows: 46 to train, 15 to test (25%)."
    assert lines[1].split() == ["label", "train", "test"]
    counts = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    assert counts == {"False": ["15", "5"], "True": ["30", "10"], "single": ["1", "0"]}
    assert lines[-1] == "Not in the test part (too few rows to split): single."
