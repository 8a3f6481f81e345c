"""The bot's logging: one JSON object per line, ids of what it is about, secrets removed.

A line looks like::

    {"time": "2025-01-31T09:12:03.512Z", "level": "INFO", "logger": "bot.prompts.running",
     "message": "...", "team": "T123", "channel": "C456", "prompt": "uses", "run": "r-9f2..."}

(on one line). Tracebacks go into an ``"exception"`` field, escaped, so an error never spreads
over several lines that a log shipper would split into unrelated events. Uncaught exceptions in
any thread are logged the same way instead of being printed raw to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, TYPE_CHECKING
from urllib.parse import urlparse

from bot.observability.context import current_log_fields
from bot.observability.redaction import RedactionFilter, Redactor, install_record_redaction

if TYPE_CHECKING:
    from bot.config import Settings

_uncaught = logging.getLogger("alignbot.uncaught")


class ContextFieldsFilter(logging.Filter):
    """Copies the ids bound in the current context onto the record (as ``record.log_fields``).

    Runs when the record is handled, which is in the thread that logged it, so the context is
    the one of the request or job being served.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "log_fields"):
            record.log_fields = dict(current_log_fields())
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, on one line; the whole line is redacted once more."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            # "Z" is what most log tools expect for UTC.
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "log_fields", None) or current_log_fields())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return self.redactor(json.dumps(line, ensure_ascii=False, default=str))


def secrets_of(settings: Settings) -> list[str]:
    """Every configured value that must never be logged."""
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.gemini_api_key,
        settings.openai_api_key,
    ]
    if settings.redis_url:
        values.append(urlparse(settings.redis_url).password)
    return [value for value in values if value]


def configure_logging(
    level: int = logging.INFO,
    stream: IO[str] | None = None,
    secrets: Iterable[str] = (),
    replace_handlers: bool = True,
) -> logging.Handler:
    """Send every logger's records to ``stream`` (stderr) as redacted JSON lines.

    Replaces the root logger's handlers (unless ``replace_handlers`` is False, which tests use
    to leave the test runner's own capture in place), so calling it again does not double every
    line. Returns the handler.
    """
    redactor = install_record_redaction(Redactor(secrets))
    handler = logging.StreamHandler(stream or sys.stderr)
    # The filters also run here, not only at record creation, for records made before
    # redaction was installed or by code that builds LogRecords by hand.
    handler.addFilter(RedactionFilter(redactor))
    handler.addFilter(ContextFieldsFilter())
    handler.setFormatter(JsonLineFormatter(redactor))
    root = logging.getLogger()
    if replace_handlers:
        for old in list(root.handlers):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    _log_uncaught_exceptions()
    return handler


def add_secrets(secrets: Iterable[str]) -> None:
    """Hunt for these values too, in every line from now on (e.g. once settings are loaded)."""
    install_record_redaction(Redactor(secrets))


def _log_uncaught_exceptions() -> None:
    def on_main_thread(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        _uncaught.critical("uncaught exception", exc_info=(kind, error, tb))

    def on_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread else "?"
        _uncaught.error(
            "uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = on_main_thread
    threading.excepthook = on_thread
