"""Tokens and keys never reach the log: by pattern or by value, from any logger, in any part of
a record (message, arguments, traceback, stack, warnings, uncaught errors in threads)."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable

import pytest
from slack_sdk import WebClient

from bot.config import Settings
from bot.observability.logs import secrets_of
from bot.observability.redaction import MASK, Redactor
from tests.bot.observability.conftest import CapturedLog
from tests.fakes.slack_emulator import SlackEmulator

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GEMINI_KEY = "gemini-key-without-a-known-shape-123"

# Every form the bot must hide, with the part of it that must vanish.
SECRET_FORMS = {
    "bot token": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    "user token": "xoxp-1234567890-1234567890-1234567890-abcdef0123456789",
    "legacy workspace token": "xoxa-2-1234567890-abcdefABCDEF",
    "refresh token": "xoxr-1234567890-abcdefABCDEF123",
    "rotating token": "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
    "app-level token": "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef",
    "openai key": "sk-proj-AbCdEf0123456789_abcdefGHIJ-klmnop",
    "google key": "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
    "prompt API key": "ab_Zx9-Qw8_Er7tYu6iOp5aS4dF3gH2jK1lZx0cV9bN",
    "signing secret": SIGNING_SECRET,
    "configured model key": GEMINI_KEY,
}
CONTAINERS = {
    "bearer header": ("Authorization: Bearer tok_live_5f2a9c0d7e1b", "tok_live_5f2a9c0d7e1b"),
    "query key": ("GET /v1beta/models?key=qk-77aa88bb99cc&alt=sse", "qk-77aa88bb99cc"),
    "api key header": ("{'x-goog-api-key': 'hdr-1234abcd5678'}", "hdr-1234abcd5678"),
    "redis password": ("redis://:hunter2-redis-pass@redis:6379/0", "hunter2-redis-pass"),
}


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([SIGNING_SECRET, GEMINI_KEY])


@pytest.mark.parametrize("form", sorted(SECRET_FORMS))
def test_every_secret_form_is_removed_from_text(redactor: Redactor, form: str) -> None:
    secret = SECRET_FORMS[form]
    cleaned = redactor(f"calling with {secret}, then more text")

    assert secret not in cleaned
    assert MASK in cleaned
    assert cleaned.startswith("calling with ") and cleaned.endswith(", then more text")


@pytest.mark.parametrize("form", sorted(CONTAINERS))
def test_secrets_inside_headers_urls_and_queries_are_removed(redactor: Redactor, form: str) -> None:
    text, secret = CONTAINERS[form]
    cleaned = redactor(text)

    assert secret not in cleaned
    assert MASK in cleaned


def test_ordinary_text_is_left_alone(redactor: Redactor) -> None:
    text = (
        "dropping a repeated delivery (event:Ev0000000001) for alignbot:ws:-:T1:prompt:uses; "
        "the bearer of news; key=alignbot:metrics:jobs"
    )
    assert redactor(text) == text


def test_short_values_are_not_hunted_for() -> None:
    # A short "secret" would blank out ordinary words everywhere.
    assert Redactor(["abc", ""])("abc def") == "abc def"


def test_secrets_of_settings_lists_every_configured_secret() -> None:
    settings = Settings(
        slack_bot_token=SECRET_FORMS["bot token"],
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=SECRET_FORMS["app-level token"],
        redis_url="redis://default:hunter2-redis-pass@redis:6379/0",
        gemini_api_key=GEMINI_KEY,
        openai_api_key="local-server-key-1",
    )
    assert set(secrets_of(settings)) == {
        SECRET_FORMS["bot token"],
        SIGNING_SECRET,
        SECRET_FORMS["app-level token"],
        "hunter2-redis-pass",
        GEMINI_KEY,
        "local-server-key-1",
    }


def assert_clean(log: CapturedLog) -> None:
    for secret in [*SECRET_FORMS.values(), *(s for _, s in CONTAINERS.values())]:
        assert secret not in log.text


def test_third_party_loggers_at_debug_are_redacted_by_pattern_and_value(
    bot_log: Callable[..., CapturedLog],
) -> None:
    log = bot_log(secrets=(SIGNING_SECRET, GEMINI_KEY))
    for name in ("urllib3.connectionpool", "httpx", "google_genai.models", "openai._base_client"):
        for form, secret in SECRET_FORMS.items():
            logging.getLogger(name).debug("request for %s with %s", form, secret)
        for text, _ in CONTAINERS.values():
            logging.getLogger(name).debug(text)

    assert_clean(log)
    lines = log.lines()
    assert len(lines) == 4 * (len(SECRET_FORMS) + len(CONTAINERS))
    assert {line["logger"] for line in lines} == {
        "urllib3.connectionpool",
        "httpx",
        "google_genai.models",
        "openai._base_client",
    }
    assert all(line["level"] == "DEBUG" for line in lines)


def test_slack_sdk_debug_lines_do_not_leak_a_pasted_token(
    bot_log: Callable[..., CapturedLog], slack: SlackEmulator
) -> None:
    """A person pastes a token into a message: slack_sdk logs the request and the response
    bodies at DEBUG, and both carry it."""
    log = bot_log()
    pasted = SECRET_FORMS["user token"]
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)

    client.chat_postMessage(channel="C0GENERAL", text=f"is this right? {pasted}")

    assert pasted not in log.text and slack.bot_token not in log.text
    sent = log.matching(lambda line: line["logger"].startswith("slack_sdk"))
    assert any("Sending a request" in line["message"] for line in sent)
    assert any(f"is this right? xoxp-{MASK}" in line["message"] for line in sent)


def test_exception_messages_tracebacks_and_causes_are_redacted(
    bot_log: Callable[..., CapturedLog],
) -> None:
    log = bot_log(secrets=(SIGNING_SECRET, GEMINI_KEY))
    token = SECRET_FORMS["bot token"]

    def connect(key: str) -> None:
        raise ConnectionError(f"refused key {key}")

    try:
        try:
            connect(GEMINI_KEY)
        except ConnectionError as cause:
            raise RuntimeError(f"model call failed for token {token}") from cause
    except RuntimeError:
        logging.getLogger("alignment._providers.gemini").exception(
            "call failed (%s)", SIGNING_SECRET
        )
    logging.getLogger("bot.anything").warning("where am I? %s", token, stack_info=True)

    assert_clean(log)
    failure, stacked = log.lines()
    assert "RuntimeError: model call failed for token xoxb-" in failure["exception"]
    assert "ConnectionError: refused key" in failure["exception"]  # the cause is kept
    assert failure["message"] == f"call failed ({MASK})"
    assert "stack" in stacked


def test_warnings_and_uncaught_thread_errors_go_through_redaction(
    bot_log: Callable[..., CapturedLog],
) -> None:
    log = bot_log()
    token = SECRET_FORMS["app-level token"]

    warnings.warn(f"deprecated call with {token}", UserWarning, stacklevel=1)

    def crash() -> None:
        raise ValueError(f"bad token {token}")

    thread = threading.Thread(target=crash, name="crashing-worker")
    thread.start()
    thread.join()

    assert_clean(log)
    warned = log.matching(lambda line: line["logger"] == "py.warnings")
    uncaught = log.matching(lambda line: line["logger"] == "alignbot.uncaught")
    assert len(warned) == 1 and "deprecated call with xapp-" in warned[0]["message"]
    assert len(uncaught) == 1 and "crashing-worker" in uncaught[0]["message"]
    assert "ValueError: bad token xapp-" in uncaught[0]["exception"]


def test_records_handled_elsewhere_are_already_clean(bot_log: Callable[..., CapturedLog]) -> None:
    """A library that attaches its own handler (not the bot's) still gets a redacted record."""
    bot_log(secrets=(GEMINI_KEY,))
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    library = logging.getLogger("some_library")
    own_handler = Keep()
    library.addHandler(own_handler)
    try:
        library.error("login with %s", SECRET_FORMS["bot token"])
        try:
            raise PermissionError(f"key {GEMINI_KEY} refused")
        except PermissionError:
            library.exception("login failed")
    finally:
        library.removeHandler(own_handler)

    login, failed = (logging.Formatter().format(record) for record in seen)
    assert SECRET_FORMS["bot token"] not in login and MASK in login
    assert GEMINI_KEY not in failed and f"PermissionError: key {MASK} refused" in failed
