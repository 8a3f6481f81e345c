"""Keep tokens and keys out of the log, whoever logs them and however they are logged.

Two nets. Known shapes of secret (Slack bot, user and app tokens, OpenAI and Google API keys,
bearer headers, passwords in Redis URLs) are caught by pattern, so a token the bot was never told
about (one pasted by a person, one in a third-party library's debug line) is caught too. And the
exact values the bot is configured with (the signing secret has no recognisable shape) are
replaced wherever they appear.

:class:`RedactionFilter` cleans a record in place: its message with arguments filled in, its
exception traceback and its stack. :func:`install_record_redaction` makes every record created
in the process pass through it, so the secret is gone before any handler, formatter or
third-party handler sees the record.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable

MASK = "[redacted]"
# Exact values shorter than this are not hunted for: replacing every "abc" would wreck the log.
MIN_SECRET_LENGTH = 8

# (pattern, replacement); a replacement keeps a public prefix so the line still says what leaked.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack bot, user, app-configuration and refresh tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxe-...
    (re.compile(r"\b(xox[a-z](?:\.[a-z0-9]+)?-)[0-9A-Za-z-]+"), rf"\g<1>{MASK}"),
    # Slack app-level tokens (Socket Mode).
    (re.compile(r"\b(xapp-)[0-9A-Za-z-]+"), rf"\g<1>{MASK}"),
    # OpenAI-style keys: sk-..., sk-proj-...
    (re.compile(r"\b(sk-)[0-9A-Za-z_-]{16,}"), rf"\g<1>{MASK}"),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), MASK),
    # The bot's own prompt API keys (bot.api.keys): ab_ and 40 URL-safe characters.
    (re.compile(r"\b(ab_)[0-9A-Za-z_-]{40}"), rf"\g<1>{MASK}"),
    # Authorization headers, whatever the token looks like.
    (re.compile(r"(?i)\b(bearer\s+)[0-9A-Za-z._~+/=-]{8,}"), rf"\g<1>{MASK}"),
    # Key headers and query parameters: x-goog-api-key: ..., api_key=..., ?key=...
    (
        re.compile(r"(?i)((?:x-goog-api-key|api[_-]?key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+"),
        rf"\g<1>{MASK}",
    ),
    (re.compile(r"([?&]key=)[^\s'\"&#]+"), rf"\g<1>{MASK}"),
    # User info in any URL (redis://:password@host, http://user:password@proxy/v1): a password
    # or a token placed before the host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@"), rf"\g<1>{MASK}@"),
)

_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://(?:[^/@\s]+@)?([^/?#\s]+)([^?#\s]*)[^\s]*")


def public_urls(text: str) -> str:
    """``text`` with every URL cut to scheme, host and path: no user info, query or fragment.

    For what people read: a provider named by where it is, without anything that may be a
    credential (a password before the host, a ``?key=`` after the path).
    """
    return _URL.sub(lambda m: f"{m.group(1)}://{m.group(2)}{m.group(3)}", text)


class Redactor:
    """Replaces secrets in text: every pattern above plus the exact values it is given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._exact: re.Pattern[str] | None = None
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str | None]) -> None:
        """Also hunt for these exact values (short or empty ones are ignored)."""
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
            # Longest first, so a secret that contains another is replaced whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._exact = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @property
    def secrets(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._secrets)

    def __call__(self, text: str) -> str:
        exact = self._exact
        if exact is not None:
            text = exact.sub(MASK, text)
        for pattern, replacement in SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class RedactionFilter(logging.Filter):
    """Removes secrets from a record's message, arguments, traceback and stack; never drops it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self.redactor)
        return True


_formatter = logging.Formatter()


def redact_record(record: logging.LogRecord, redact: Callable[[str], str]) -> None:
    if getattr(record, "_alignbot_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed call (wrong arguments): keep what can be shown
        message = f"{record.msg!s} {record.args!r}"
    # The message is fixed now, so no handler formats the unredacted arguments again.
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        # Formatters print exc_text when it is set instead of formatting the exception again.
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._alignbot_redacted = True


_install_lock = threading.Lock()
_installed: Redactor | None = None
_factory_before: Callable[..., logging.LogRecord] | None = None


def install_record_redaction(redactor: Redactor) -> Redactor:
    """Redact every record made from now on in this process, by any logger; idempotent.

    Returns the redactor in force (the first one installed), so secrets can be added later.
    """
    global _installed, _factory_before
    with _install_lock:
        if _installed is not None:
            _installed.add_secrets(redactor.secrets)
            return _installed
        make_record = _factory_before = logging.getLogRecordFactory()

        def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redact_record(record, redactor)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed = redactor
        return redactor


def remove_record_redaction() -> None:
    """Undo :func:`install_record_redaction` (the process goes back to plain records)."""
    global _installed, _factory_before
    with _install_lock:
        if _factory_before is not None:
            logging.setLogRecordFactory(_factory_before)
        _installed = _factory_before = None
