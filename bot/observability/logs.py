"""The bot's logging: one JSON object per line (or readable text), ids of what it is about,
secrets removed.

``ALIGN_LOG_FORMAT`` chooses: ``json`` lines for a log shipper, ``text`` lines for a person, or
``auto`` (the default): text when stderr is a terminal, JSON otherwise (a container, a pipe, a
file). Secrets are redacted the same way in both. A JSON line looks like::

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
from typing import IO, TYPE_CHECKING, Literal
from urllib.parse import urlparse

from alignment.model_helper import PROVIDERS
from bot.observability.context import current_log_fields
from bot.observability.redaction import RedactionFilter, Redactor, install_record_redaction

if TYPE_CHECKING:
    from bot.config import Settings

_uncaught = logging.getLogger("alignbot.uncaught")

LogFormat = Literal["json", "text", "auto"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text", "auto")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_log_level(text: str) -> int:
    """``debug``, ``INFO``, ...: the logging level; ValueError naming the choices otherwise."""
    name = text.strip().upper()
    if name not in LOG_LEVELS:
        raise ValueError(f"{text!r} is not a log level; one of {', '.join(LOG_LEVELS)}")
    return int(getattr(logging, name))


def parse_log_format(text: str) -> LogFormat:
    name = text.strip().lower()
    for known in LOG_FORMATS:
        if name == known:
            return known
    raise ValueError(f"{text!r} is not a log format; one of {', '.join(LOG_FORMATS)}")


def resolve_log_format(log_format: LogFormat, stream: IO[str]) -> Literal["json", "text"]:
    """``auto`` becomes text for a person at a terminal and JSON for everything else."""
    if log_format != "auto":
        return log_format
    try:
        return "text" if stream.isatty() else "json"
    except (AttributeError, ValueError):  # a closed or unusual stream: machines read it
        return "json"


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


class TextLineFormatter(logging.Formatter):
    """``09:12:03.512 INFO bot.prompts.running: message  team=T123 run=r-9f2``, redacted.

    For a person at a terminal: local time, the bound ids after the message, and a traceback
    on the lines below it.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        line = (
            f"{time}.{int(record.msecs):03d} {record.levelname} {record.name}: "
            f"{record.getMessage()}"
        )
        fields = getattr(record, "log_fields", None) or current_log_fields()
        if fields:
            line += "  " + " ".join(f"{key}={value}" for key, value in fields.items())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return self.redactor(line)


def secrets_of(settings: Settings) -> list[str]:
    """Every configured value that must never be logged."""
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.gemini_api_key,
        settings.openai_api_key,
        settings.metrics_token,
        settings.slack_client_secret,
        settings.slack_state_secret,
        # The key of every provider in the library's registry, however it was named.
        *(settings.provider_settings.get(p.key_variable) for p in PROVIDERS.values()),
    ]
    if settings.redis_url:
        values.append(urlparse(settings.redis_url).password)
    return [value for value in values if value]


def configure_logging(
    level: int = logging.INFO,
    stream: IO[str] | None = None,
    secrets: Iterable[str] = (),
    replace_handlers: bool = True,
    log_format: LogFormat = "auto",
) -> logging.Handler:
    """Send every logger's records to ``stream`` (stderr) as redacted JSON or text lines.

    Replaces the root logger's handlers (unless ``replace_handlers`` is False, which tests use
    to leave the test runner's own capture in place), so calling it again does not double every
    line. Returns the handler.
    """
    redactor = install_record_redaction(Redactor(secrets))
    target = stream or sys.stderr
    handler = logging.StreamHandler(target)
    # The filters also run here, not only at record creation, for records made before
    # redaction was installed or by code that builds LogRecords by hand.
    handler.addFilter(RedactionFilter(redactor))
    handler.addFilter(ContextFieldsFilter())
    if resolve_log_format(log_format, target) == "text":
        handler.setFormatter(TextLineFormatter(redactor))
    else:
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
