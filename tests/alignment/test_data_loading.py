"""Loading CSV files the way they arrive from spreadsheets, and typing their labels."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from alignment.data import DatasetError, DatasetLimits, label_values, load_dataset, read_columns

DATA = Path(__file__).parent.parent / "data"

# The logical content shared by every comments_* sample, whatever its format.
COMMENTS = [
    ("Great café, lovely staff; will return", False),
    ("People from Zürich are all idiots", True),
    ('He said "see you soon" and waved', False),
    ("Get out of our town, you vermin", True),
    ("Line one of a review\nand line two of it", False),
    ("Those people should be banned from existing", True),
    ("A naïve but charming little film", False),
    ("Nobody wants your kind here", True),
]


def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(frame.itertuples(index=False, name=None))


@pytest.mark.parametrize(
    "sample",
    [
        "comments_semicolon.csv",
        "comments_tab.tsv",
        "comments_utf8_bom.csv",
        "comments_latin1.csv",
        "comments_utf16_tab.txt",
        "comments_trailing_blank_rows.csv",
    ],
)
def test_every_sample_format_loads_the_same_rows(sample: str) -> None:
    frame = load_dataset(DATA / sample, ["comment"], "isHate")
    assert list(frame.columns) == ["comment", "isHate"]
    assert rows(frame) == COMMENTS
    assert list(frame.index) == list(range(len(COMMENTS)))


def test_windows_1252_keeps_curly_quotes_and_euro_sign() -> None:
    frame = load_dataset(DATA / "comments_windows1252.csv", ["comment"], "isHate")
    assert frame["comment"][0] == "Great €3 café, lovely staff; will return"
    assert frame["comment"][2] == "He said “see you soon” and waved"


def test_bytes_and_path_give_the_same_frame() -> None:
    path = DATA / "comments_semicolon.csv"
    from_bytes = load_dataset(path.read_bytes(), ["comment"], "isHate")
    from_path = load_dataset(str(path), ["comment"], "isHate")
    assert rows(from_bytes) == rows(from_path)


def test_labels_are_plain_python_bools() -> None:
    frame = load_dataset(DATA / "comments_tab.tsv", ["comment"], "isHate")
    assert {type(value) for value in frame["isHate"]} == {bool}
    assert label_values(frame, "isHate") == [False, True]
    assert type(label_values(frame, "isHate")[0]) is bool


def test_whole_number_labels_become_ints() -> None:
    frame = load_dataset(DATA / "tickets_int_labels.csv", ["ticket"], "priority")
    assert label_values(frame, "priority") == [1, 2, 3]
    assert {type(value) for value in frame["priority"]} == {int}


def test_other_labels_stay_text_and_numbers_like_2_0_count_as_whole() -> None:
    text = "text,grade\n" + "".join(f"t{i},{value}\n" for i, value in enumerate(["A+", "B"] * 4))
    assert label_values(load_dataset(text.encode(), ["text"], "grade"), "grade") == ["A+", "B"]
    numbers = "text,stars\n" + "".join(f"t{i},{v}\n" for i, v in enumerate(["2.0", "5"] * 4))
    assert label_values(load_dataset(numbers.encode(), ["text"], "stars"), "stars") == [2, 5]
    mixed = "text,tag\n" + "".join(f"t{i},{v}\n" for i, v in enumerate(["true", "maybe"] * 4))
    assert label_values(load_dataset(mixed.encode(), ["text"], "tag"), "tag") == ["maybe", "true"]


def test_boolean_labels_ignore_case_and_spaces() -> None:
    text = "text,flag\n" + "".join(
        f"t{i},{value}\n" for i, value in enumerate([" TRUE", "false ", "True", "FALSE"] * 2)
    )
    frame = load_dataset(text.encode(), ["text"], "flag")
    assert frame["flag"].tolist() == [True, False, True, False] * 2


def test_only_requested_columns_are_kept_in_the_requested_order() -> None:
    text = b"id,title,body,label,notes\n" + b"".join(
        b"%d,title %d,body %d,%s,n\n" % (i, i, i, b"ab"[i % 2 : i % 2 + 1]) for i in range(8)
    )
    frame = load_dataset(text, ["body", "title"], "label")
    assert list(frame.columns) == ["body", "title", "label"]
    assert frame["title"][3] == "title 3"


def test_blank_rows_in_the_middle_are_skipped_and_rows_are_not_stripped() -> None:
    text = b"text,label\n  padded  ,x\n,\n\nsecond,y\n" + b"t,x\nt,y\n" * 3
    frame = load_dataset(text, ["text"], "label")
    assert frame["text"].tolist()[:2] == ["  padded  ", "second"]
    assert len(frame) == 8


def test_without_a_label_only_inputs_are_loaded_and_checked() -> None:
    frame = load_dataset(b"comment\nhello\n=1+1\n", ["comment"])
    assert frame["comment"].tolist() == ["hello", "=1+1"]


def test_short_rows_are_padded_and_trailing_empty_cells_ignored() -> None:
    text = b"text,label,,\n" + b"a,x,,\nb,y\n" * 4
    frame = load_dataset(text, ["text"], "label")
    assert frame["label"].tolist() == ["x", "y"] * 4


def test_read_columns_from_bytes_and_path() -> None:
    path = DATA / "tickets_int_labels.csv"
    assert read_columns(path) == ["id", "ticket", "priority"]
    assert read_columns(path.read_bytes()) == ["id", "ticket", "priority"]
    assert read_columns((DATA / "comments_utf16_tab.txt").read_bytes()) == ["comment", "isHate"]


def test_read_columns_reads_only_the_start_of_a_big_file() -> None:
    # A broken row far beyond the header does not stop the header from being read.
    body = b"".join(b"row %d,x\n" % i for i in range(20_000))
    data = codecs.BOM_UTF8 + "texte,étiquette\n".encode() + body + b'"never closed,x\n'
    assert read_columns(data) == ["texte", "étiquette"]
    with pytest.raises(DatasetError, match="never closes"):
        load_dataset(data, ["texte"], "étiquette")


def test_limits_are_configurable() -> None:
    text = "text,label\n" + "".join(f"t{i},{i % 3}\n" for i in range(6))
    with pytest.raises(DatasetError, match="fewer than 4 examples"):
        load_dataset(text.encode(), ["text"], "label")
    relaxed = DatasetLimits(min_examples_per_label=2, max_label_values=3)
    assert len(load_dataset(text.encode(), ["text"], "label", relaxed)) == 6
    with pytest.raises(DatasetError, match="at most 2"):
        load_dataset(text.encode(), ["text"], "label", DatasetLimits(2_000, 2, 2))


def test_old_mac_line_endings_and_windows_line_endings_inside_cells() -> None:
    mac = "text;label\r" + "".join(f"t{i};{'xy'[i % 2]}\r" for i in range(8))
    assert load_dataset(mac.encode(), ["text"], "label")["text"].tolist()[-1] == "t7"
    windows = 'text,label\r\n"two\r\nlines",x\r\n' + "t,y\r\nt,x\r\n" * 3 + "t,y\r\n"
    frame = load_dataset(windows.encode(), ["text"], "label")
    assert frame["text"][0] == "two\r\nlines"
    assert frame["label"].tolist() == ["x", "y"] * 4


def test_csv_text_passed_as_a_str_is_a_programming_error_not_a_path() -> None:
    with pytest.raises(TypeError, match="pass CSV content as bytes"):
        load_dataset("comment,isHate\nhello,true\n", ["comment"], "isHate")
