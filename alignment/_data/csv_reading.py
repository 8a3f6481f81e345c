"""Turn the bytes of an uploaded CSV into a header and columns of text.

Files come from every kind of spreadsheet: Excel writes UTF-8 with a byte-order mark, Windows-1252,
or UTF-16 "Unicode text" with tabs; European locales separate cells with ``;``. This module reads
such files faithfully and refuses the ones that are not CSV at all with a ``DatasetError`` whose
text tells the uploader what to do (the Slack bot posts it verbatim).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from alignment.errors import DatasetError

# Room for 100,000 rows of a few hundred characters (about 30 MB), which load in well under
# 500 MB of memory (bench/data_memory.py measures it).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SAMPLE_CHARS = 64 * 1024
# A labeler reads a few input columns and one label; a file with more columns than this is a
# table of something else, and refusing it early keeps a hostile header from costing time.
MAX_COLUMNS = 500
# How many column names a message lists before it says how many more there are.
_LISTED_COLUMNS = 20
_SNIFF_RECORDS = 30
_EMPTY_MESSAGE = "The file is empty. Upload a CSV whose first row names the columns."
_EXPORT_HINT = "Export it from your spreadsheet as 'CSV UTF-8' and try again."
# Control characters other than tab, newline and carriage return: real text has almost none.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.005
# An object, or a list of objects, strings or numbers: no CSV header starts like that.
_JSON_START = re.compile(r'\s*(?:\{\s*"|\[\s*[\[{"\d])')
# Magic numbers of files people upload by mistake instead of a CSV export.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Word file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)

CsvSource = bytes | str | os.PathLike[str]


@dataclass
class CsvTable:
    """The cells of the requested columns, with blank rows left out.

    ``sheet_rows[i]`` is the row number a spreadsheet shows for kept row ``i`` (the header is
    row 1), so messages can point people at the exact row to fix.
    """

    header: list[str]
    columns: dict[str, list[str]]
    sheet_rows: list[int] = field(default_factory=list)
    delimiter: str = ","
    encoding: str = "UTF-8"

    def __len__(self) -> int:
        return len(self.sheet_rows)


def count_of(number: int, noun: str) -> str:
    """'1 row', '2,500 rows': counts as a person writes them."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """'rows 2, 7 and 9' or 'rows 2, 7, 9, 11, 12 and 3 more': short enough for a chat message."""
    shown = [str(row) for row in rows[:limit]]
    rest = len(rows) - len(shown)
    if rest:
        return f"rows {', '.join(shown)} and {rest} more"
    if len(shown) == 1:
        return f"row {shown[0]}"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


def read_source(source: CsvSource, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes; a ``str`` or path-like is a file path, never CSV text itself."""
    if isinstance(source, bytes):
        _check_size(len(source), max_bytes)
        return source
    path = os.fspath(source)
    if "\n" in path:
        raise TypeError("a str source is a file path; pass CSV content as bytes (text.encode())")
    try:
        _check_size(os.path.getsize(path), max_bytes)
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DatasetError(f"There is no file at '{path}'. Check the path and try again.") from None
    except IsADirectoryError:
        raise DatasetError(f"'{path}' is a folder, not a CSV file.") from None
    except OSError as error:
        raise DatasetError(f"Could not open '{path}': {error.strerror or error}.") from None


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DatasetError(
            f"The file is {_megabytes(size)}, over the {_megabytes(max_bytes, exact=False)} limit. "
            "Remove columns you do not need, or split the rows into smaller files."
        )


def _megabytes(size: int, exact: bool = True) -> str:
    """'3.4 KB' or '51.2 MB'; limits (``exact=False``) drop a trailing '.0'."""
    unit, scale = ("KB", 1024) if size < 1024 * 1024 else ("MB", 1024 * 1024)
    text = f"{size / scale:.1f} {unit}"
    return text if exact else text.replace(f".0 {unit}", f" {unit}")


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode ``raw`` as UTF-8 (BOM or not), UTF-16 with a BOM, or else Windows-1252/Latin-1.

    Windows-1252 is tried before Latin-1 because it is what Excel on Windows writes; it agrees
    with Latin-1 on every printable character and adds curly quotes and the euro sign. Returns
    the text and the name of the encoding used.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _refuse_control_characters(raw.decode("utf-16")), "UTF-16"
        except UnicodeDecodeError:
            raise DatasetError(
                f"The file says it is UTF-16 text but is not valid UTF-16. {_EXPORT_HINT}"
            ) from None
    for signature, kind in _BINARY_SIGNATURES:
        if raw.startswith(signature):
            raise DatasetError(f"This is {kind}, not a CSV file. {_EXPORT_HINT}")
    head = raw[:_SAMPLE_CHARS]
    if b"\x00" in head:
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            raise DatasetError(
                f"The file looks like UTF-16 text without a byte-order mark. {_EXPORT_HINT}"
            )
        raise _not_text_error()
    body = memoryview(raw)[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    for encoding, label in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return _refuse_control_characters(str(body, encoding)), label
        except UnicodeDecodeError:
            continue
    return _refuse_control_characters(str(body, "latin-1")), "Latin-1"


def _refuse_control_characters(text: str) -> str:
    sample = text[:_SAMPLE_CHARS]
    if len(_CONTROL_CHARS.findall(sample)) > max(1, len(sample) * _MAX_CONTROL_SHARE):
        raise _not_text_error()
    return text


def _not_text_error() -> DatasetError:
    return DatasetError(
        "The file is not readable text: it holds binary data, or text in an encoding other "
        f"than UTF-8 or Latin-1. {_EXPORT_HINT}"
    )


def sniff_delimiter(sample: str) -> str:
    """Pick the separator among ``,`` ``;`` and tab that splits the first records most evenly.

    A candidate must give the header at least two columns; among those, the one whose records
    most often have as many cells as the header wins, and more columns breaks ties. Comma is
    the answer when nothing splits the header.
    """
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        records = _first_records(sample, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:] or records
        regular = sum(len(record) == width for record in body) / len(body)
        score = (regular, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _first_records(sample: str, delimiter: str) -> list[list[str]]:
    records: list[list[str]] = []
    reader = csv.reader(_lines(sample), delimiter=delimiter)
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # the sample may end inside a quoted cell; the records before it still count
    # The sample is cut at an arbitrary point, so its last record may be incomplete.
    return records[:-1] if len(records) > 1 else records


def parse_table(
    text: str, wanted: Sequence[str] | None = None, min_columns: int = 1, encoding: str = "UTF-8"
) -> CsvTable:
    """Parse CSV ``text``, keeping only the ``wanted`` columns (all when None)."""
    delimiter, header, records = _open_records(text)
    _check_columns(header, wanted, min_columns, text)
    keep = list(dict.fromkeys(wanted)) if wanted is not None else header
    position_of = {name: position for position, name in enumerate(header)}
    positions = [position_of[name] for name in keep]
    columns: dict[str, list[str]] = {name: [] for name in keep}
    table = CsvTable(header, columns, [], delimiter, encoding)
    overfull: list[int] = []
    for sheet_row, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank rows, including the trailing ones spreadsheets leave behind
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            overfull.append(sheet_row)
            continue
        for name, position in zip(keep, positions, strict=True):
            columns[name].append(record[position] if position < len(record) else "")
        table.sheet_rows.append(sheet_row)
    if overfull:
        name = _DELIMITER_NAMES[delimiter]
        raise DatasetError(
            f"{count_of(len(overfull), 'row')} of the file have more cells than the header has "
            f"columns ({len(header)}): {format_rows(overfull)}. A cell probably contains a {name} "
            "without quotes around it; put such cells in double quotes, or re-export the file "
            "from your spreadsheet."
        )
    return table


def parse_header(text: str, min_columns: int = 2) -> list[str]:
    """The column names in the first record of CSV ``text``; the rest is not read."""
    _, header, _ = _open_records(text)
    _check_columns(header, None, min_columns, text)
    return header


def _open_records(text: str) -> tuple[str, list[str], Iterator[tuple[int, list[str]]]]:
    """The delimiter, the cleaned header and an iterator over the numbered records after it."""
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise DatasetError(
            "This is a web page, not a CSV file (often a sign the download needed a login). "
            "Upload the CSV file itself."
        )
    if _JSON_START.match(text):
        raise DatasetError(f"This looks like JSON, not a CSV file. {_EXPORT_HINT}")
    delimiter = sniff_delimiter(text[:_SAMPLE_CHARS])
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    records = _numbered_records(reader)
    first = next(records, None)
    if first is None:
        raise DatasetError(_EMPTY_MESSAGE)
    return delimiter, _clean_header(first[1]), records


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, one at a time.

    Used instead of ``io.StringIO``, which copies the whole text into a buffer of four bytes per
    character: for a large upload that copy alone would be several times the file's size.
    """
    if "\n" not in text[:_SAMPLE_CHARS] and "\r" in text[:_SAMPLE_CHARS]:
        text = text.replace("\r", "\n")  # old Mac files end lines with a carriage return alone
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _numbered_records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Records with the spreadsheet row number each one starts on; CSV errors made readable."""
    sheet_row = 0
    try:
        for record in reader:
            sheet_row += 1
            yield sheet_row, record
    except csv.Error as error:
        row = sheet_row + 1
        reason = str(error)
        if "unexpected end of data" in reason:
            detail = f"a double quote opens a cell in row {row} and never closes"
        elif "field larger than field limit" in reason:
            detail = (
                f"a cell starting in row {row} is longer than {csv.field_size_limit():,} "
                "characters, usually because a double quote never closes"
            )
        else:
            detail = f"row {row} has text right after a quoted cell closes ({reason})"
        raise DatasetError(
            f"The file could not be read as CSV: {detail}. Put a quote inside a cell as two "
            'double quotes (""), or re-export the file from your spreadsheet.'
        ) from None


def _clean_header(cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()  # trailing separators after the last column name
    if len(names) > MAX_COLUMNS:
        raise DatasetError(
            f"The file has {len(names):,} columns; a labeler can use at most {MAX_COLUMNS}. "
            "Keep the input and label columns you need, and upload it again."
        )
    names = [name or f"column {position + 1}" for position, name in enumerate(names)]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        listed = listed_names(repeated)
        raise DatasetError(
            f"The header names the same column more than once: {listed}. "
            "Give every column a different name in the first row."
        )
    return names


def _check_columns(
    header: list[str], wanted: Sequence[str] | None, min_columns: int, text: str
) -> None:
    if not header:
        raise DatasetError(
            "The first row of the file is empty. The first row must name the columns."
        )
    present = set(header)
    missing = [name for name in wanted or () if name not in present]
    single_column_ok = wanted is not None and not missing
    if len(header) < max(min_columns, 2) and not single_column_ok:
        raise DatasetError(
            "This does not look like a CSV file: no comma, semicolon or tab separates columns "
            f"in its first row, which reads '{header[0][:60]}'. "
            "The first row must name the columns, separated by commas."
        )
    if missing:
        raise DatasetError(_missing_columns_message(missing, header))


def listed_names(names: Sequence[str], limit: int = _LISTED_COLUMNS) -> str:
    """'a', 'b' and so on, at most ``limit`` of them (each cut short), then how many more."""
    shown = ", ".join(f"'{name[:60]}'" for name in names[:limit])
    return shown if len(names) <= limit else f"{shown} … and {len(names) - limit:,} more"


def _missing_columns_message(missing: list[str], header: list[str]) -> str:
    names = listed_names(missing)
    noun = "column" if len(missing) == 1 else "columns"
    hints = []
    folded = {column.casefold(): column for column in header}
    for name in missing[:_LISTED_COLUMNS]:
        close = folded.get(name.casefold()) or next(
            iter(difflib.get_close_matches(name, header, n=1)), None
        )
        if close:
            hints.append(f"'{close}' for '{name}'")
    existing = listed_names(header)
    message = (
        f"The file has no {noun} named {names}. Its {len(header)} columns are: {existing}. "
        "Names must match exactly, including capital letters."
    )
    if hints:
        message += f" Did you mean {', '.join(hints)}?"
    return message


def read_table(
    source: CsvSource,
    wanted: Sequence[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_columns: int = 1,
) -> CsvTable:
    """Read, decode and parse a CSV file or its bytes; every refusal is a ``DatasetError``."""
    raw = read_source(source, max_bytes)
    if not raw.strip():
        raise DatasetError(_EMPTY_MESSAGE)
    text, encoding = decode_text(raw)
    del raw  # only the decoded text is needed from here on; free the bytes early
    return parse_table(text, wanted, min_columns, encoding)


def read_header(
    source: CsvSource, max_bytes: int = DEFAULT_MAX_BYTES, min_columns: int = 2
) -> list[str]:
    """The column names from the first row, decoding only the start of the file."""
    raw = read_source(source, max_bytes)
    if not raw.strip():
        raise DatasetError(_EMPTY_MESSAGE)
    head = raw
    if len(raw) > _SAMPLE_CHARS and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Cut after a newline byte, which never sits inside a multi-byte UTF-8 character. A
        # header longer than the sample is read to its end, so its columns are counted right.
        cut = raw.rfind(b"\n", 0, _SAMPLE_CHARS)
        if cut <= 0:
            cut = raw.find(b"\n")
        head = raw[: cut + 1] if cut > 0 else raw
    text, _ = decode_text(head)
    return parse_header(text, min_columns)
