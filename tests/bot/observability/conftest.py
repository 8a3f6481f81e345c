"""Fixtures for observability tests: the bot's log setup writing to a buffer the test reads."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.observability.logs import configure_logging
from bot.observability.redaction import remove_record_redaction


class CapturedLog:
    """What the bot's logging wrote, as text and as parsed JSON lines."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def matching(self, where: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [line for line in self.lines() if where(line)]


@pytest.fixture
def bot_log() -> Iterator[Callable[..., CapturedLog]]:
    """``bot_log(level=..., secrets=(...))`` adds the bot's log handler, writing to a buffer;
    the process's logging (level, hooks, record factory) is restored after."""
    root = logging.getLogger()
    saved = (root.level, sys.excepthook, threading.excepthook)
    installed: list[logging.Handler] = []

    def install(level: int = logging.DEBUG, secrets: tuple[str, ...] = ()) -> CapturedLog:
        stream = io.StringIO()
        handler = configure_logging(
            level=level, stream=stream, secrets=secrets, replace_handlers=False
        )
        installed.append(handler)
        return CapturedLog(stream)

    yield install
    level, excepthook, thread_hook = saved
    for handler in installed:
        root.removeHandler(handler)
    root.setLevel(level)
    sys.excepthook, threading.excepthook = excepthook, thread_hook
    logging.captureWarnings(False)
    remove_record_redaction()
