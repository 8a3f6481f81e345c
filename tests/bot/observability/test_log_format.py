"""ALIGN_LOG_FORMAT: JSON lines for machines, text lines for people; secrets gone from both."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from bot.observability.context import log_fields
from bot.observability.logs import (
    configure_logging,
    parse_log_format,
    parse_log_level,
    resolve_log_format,
)
from bot.observability.redaction import remove_record_redaction

SECRET = "signing-secret-0123456789"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, sys.excepthook, threading.excepthook)
    before = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
    root.setLevel(saved[0])
    sys.excepthook, threading.excepthook = saved[1], saved[2]
    logging.captureWarnings(False)
    remove_record_redaction()


def log_through(stream: io.StringIO, log_format: str, level: int = logging.DEBUG) -> str:
    configure_logging(
        level,
        stream=stream,
        secrets=(SECRET,),
        replace_handlers=False,
        log_format=parse_log_format(log_format),
    )
    logger = logging.getLogger("bot.example")
    with log_fields(team="T1", run="r-1"):
        logger.debug("a detail")
        logger.info("token xoxb-1234-5678-abcdef and secret %s", SECRET)
        try:
            raise ValueError(f"bad {SECRET}")
        except ValueError:
            logger.exception("it broke")
    return stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_are_readable_carry_the_ids_and_are_redacted() -> None:
    text = log_through(io.StringIO(), "text")

    assert SECRET not in text and "abcdef" not in text
    lines = text.splitlines()
    assert lines[0].endswith("DEBUG bot.example: a detail  team=T1 run=r-1")
    assert "INFO bot.example: token xoxb-[redacted] and secret [redacted]  team=T1" in lines[1]
    assert "ERROR bot.example: it broke" in lines[2]
    assert "ValueError: bad [redacted]" in text  # the traceback follows, on lines of its own
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


@pytest.mark.usefixtures("restore_logging")
def test_auto_writes_text_to_a_terminal() -> None:
    text = log_through(Terminal(), "auto")

    assert text.splitlines()[0].endswith("DEBUG bot.example: a detail  team=T1 run=r-1")


@pytest.mark.usefixtures("restore_logging")
def test_auto_writes_redacted_json_lines_elsewhere() -> None:
    text = log_through(io.StringIO(), "auto")

    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["level"] for line in lines] == ["DEBUG", "INFO", "ERROR"]
    assert lines[1]["message"] == "token xoxb-[redacted] and secret [redacted]"
    assert SECRET not in text


@pytest.mark.usefixtures("restore_logging")
def test_the_level_drops_less_severe_lines() -> None:
    text = log_through(io.StringIO(), "json", level=parse_log_level("warning"))

    assert [json.loads(line)["message"] for line in text.splitlines()] == ["it broke"]


def test_json_and_text_are_chosen_whatever_the_stream() -> None:
    assert resolve_log_format("json", Terminal()) == "json"
    assert resolve_log_format("text", io.StringIO()) == "text"
    assert resolve_log_format("auto", io.StringIO()) == "json"


@pytest.mark.parametrize(
    ("text", "level"), [("DEBUG", logging.DEBUG), (" info ", logging.INFO), ("Error", 40)]
)
def test_log_levels_are_read_in_any_case(text: str, level: int) -> None:
    assert parse_log_level(text) == level


@pytest.mark.parametrize("text", ["verbose", "10", "", "WARN "])
def test_unknown_log_levels_are_refused_naming_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        parse_log_level(text)


def test_unknown_log_formats_are_refused_naming_the_choices() -> None:
    assert parse_log_format(" JSON") == "json"
    with pytest.raises(ValueError, match="json, text, auto"):
        parse_log_format("yaml")
