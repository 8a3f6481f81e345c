"""Every file in tests/data/bad_csvs is refused with a message a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alignment.data import DatasetError, DatasetLimits, load_dataset, read_columns

BAD = Path(__file__).parent.parent / "data" / "bad_csvs"
EXPORT_HINT = "Export it from your spreadsheet as 'CSV UTF-8'"


@dataclass
class Case:
    """How a bad file is loaded, and what its message must say (every fragment)."""

    says: list[str]
    inputs: list[str] = field(default_factory=lambda: ["comment"])
    label: str = "isHate"
    limits: DatasetLimits = field(default_factory=DatasetLimits)
    header_refused: bool = False  # read_columns refuses it too


CASES: dict[str, Case] = {
    "empty.csv": Case(["file is empty", "first row names the columns"], header_refused=True),
    "header_only.csv": Case(["no rows of data", "Add rows below the header"]),
    "json_export.csv": Case(["looks like JSON", EXPORT_HINT], header_refused=True),
    "no_separators.csv": Case(
        ["does not look like a CSV", "'Meeting notes from Tuesday'", "separated by commas"],
        header_refused=True,
    ),
    "web_page.csv": Case(
        ["web page, not a CSV", "Upload the CSV file itself"], header_refused=True
    ),
    "spreadsheet_saved_as_xlsx.csv": Case(["Excel workbook", EXPORT_HINT], header_refused=True),
    "binary_garbage.csv": Case(
        ["not readable text", "UTF-8 or Latin-1", EXPORT_HINT], header_refused=True
    ),
    "control_characters.csv": Case(["not readable text", EXPORT_HINT], header_refused=True),
    "utf16_without_bom.csv": Case(["UTF-16", "byte-order mark", EXPORT_HINT], header_refused=True),
    "unclosed_quote.csv": Case(["double quote opens a cell in row 4 and never closes", '("")']),
    "unquoted_separator.csv": Case(
        [
            "2 rows",
            "more cells than the header has columns (2)",
            "rows 3 and 7",
            "comma",
            "double quotes",
        ]
    ),
    "duplicate_header.csv": Case(
        ["same column more than once: 'comment'", "different name"], header_refused=True
    ),
    "missing_label_column.csv": Case(
        [
            "no column named 'isHate'",
            "2 columns are: 'comment', 'is_hate'",
            "Did you mean 'is_hate' for 'isHate'?",
        ]
    ),
    # Row numbers are spreadsheet rows: a quoted newline in row 6 does not shift them.
    "blank_labels.csv": Case(
        ["label column 'isHate' is blank in 3 of 10 rows", "rows 4, 7 and 11", "Fill in a label"]
    ),
    "single_label.csv": Case(["same label, 'true'", "'isHate' (8 rows)", "at least one other"]),
    "too_many_labels.csv": Case(
        ["'topic' has 30 different values", "at most 20", "fewer labels"], label="topic"
    ),
    "score_labels.csv": Case(
        ["'toxicity' holds numbers between 0 and 1", "threshold", "toxicity >= 0.5"],
        label="toxicity",
    ),
    "decimal_comma_scores.csv": Case(
        ["between 0 and 1 (such as 0,15)", "threshold"], label="toxicity"
    ),
    "rare_labels.csv": Case(
        ["'kind'", "fewer than 4 examples", "'other' (1 row), 'spam' (2 rows)", "Add more rows"],
        inputs=["message"],
        label="kind",
    ),
    "empty_input.csv": Case(
        ["input column 'comment' is empty in 2 of 10 rows", "rows 5 and 8", "fill those cells"]
    ),
    "over_size_limit.csv": Case(
        ["3.4 KB, over the 2 KB limit", "split the rows"], limits=DatasetLimits(max_bytes=2048)
    ),
}


def test_every_bad_file_has_a_case() -> None:
    assert sorted(path.name for path in BAD.glob("*.csv")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_refused_with_an_actionable_message(name: str) -> None:
    case = CASES[name]
    with pytest.raises(DatasetError) as refused:
        load_dataset(BAD / name, case.inputs, case.label, case.limits)
    message = str(refused.value)
    for fragment in case.says:
        assert fragment in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_bytes_give_the_same_message_as_the_bad_path(name: str) -> None:
    case = CASES[name]
    with pytest.raises(DatasetError) as from_path:
        load_dataset(BAD / name, case.inputs, case.label, case.limits)
    with pytest.raises(DatasetError) as from_bytes:
        load_dataset((BAD / name).read_bytes(), case.inputs, case.label, case.limits)
    assert str(from_bytes.value) == str(from_path.value)


@pytest.mark.parametrize(
    "name", sorted(name for name, case in CASES.items() if case.header_refused)
)
def test_files_that_are_not_csv_are_refused_before_columns_are_offered(name: str) -> None:
    with pytest.raises(DatasetError) as refused:
        read_columns(BAD / name)
    assert CASES[name].says[0] in str(refused.value)


def test_default_size_limit_is_fifty_megabytes() -> None:
    header = b"comment,isHate\n"
    too_big = header + b"x" * (50 * 1024 * 1024 + 1 - len(header))
    with pytest.raises(DatasetError, match=r"50\.0 MB, over the 50 MB limit"):
        load_dataset(too_big, ["comment"], "isHate")
    with pytest.raises(DatasetError, match="over the 50 MB limit"):
        read_columns(too_big)


def test_missing_file_and_label_used_as_input_are_explained(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="There is no file at"):
        load_dataset(tmp_path / "nope.csv", ["comment"], "isHate")
    with pytest.raises(DatasetError, match="both as the label and as an input"):
        load_dataset(b"a,b\n1,2\n", ["a", "b"], "b")


def test_too_few_columns_for_a_labeler_is_refused_by_read_columns() -> None:
    with pytest.raises(DatasetError, match="does not look like a CSV"):
        read_columns(b"comment\nhello\n")
