"""Headers with very many columns: refused early, and never listed whole in a message."""

from __future__ import annotations

import pytest

from alignment._data.csv_reading import MAX_COLUMNS, parse_table
from alignment.data import DatasetError, read_columns


def wide_csv(columns: int, name_length: int = 8) -> bytes:
    names = [f"c{index:0{name_length - 1}d}" for index in range(columns)]
    return (",".join(names) + "\n" + ",".join("x" for _ in names) + "\n").encode()


def test_more_columns_than_a_labeler_can_use_are_refused_with_the_limit() -> None:
    with pytest.raises(DatasetError) as refused:
        read_columns(wide_csv(40_000))
    assert "40,000 columns" in str(refused.value)
    assert f"at most {MAX_COLUMNS}" in str(refused.value)


def test_a_header_at_the_limit_is_read_whole() -> None:
    assert len(read_columns(wide_csv(MAX_COLUMNS))) == MAX_COLUMNS


def test_a_missing_column_names_some_columns_and_counts_the_rest() -> None:
    text = wide_csv(120, name_length=40).decode()
    with pytest.raises(DatasetError) as refused:
        parse_table(text, ["label"])
    message = str(refused.value)
    assert "… and 100 more" in message
    assert len(message) < 2000


def test_repeated_names_are_still_found_in_a_wide_header() -> None:
    names = [f"c{index}" for index in range(MAX_COLUMNS - 1)] + ["c7"]
    with pytest.raises(DatasetError, match="'c7'"):
        parse_table(",".join(names) + "\n")
