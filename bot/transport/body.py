"""Read a request body within a size limit, and parse it the way Bolt will, without trusting it.

Nothing about a body is known before its signature is checked, and the signature can only be
checked on the whole body; so the size is judged first, before anything is read: a declared
``Content-Length`` over the limit is refused unread, and a body without one (chunked) is read
only up to one byte past the limit.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from cheroot.errors import MaxSizeExceeded

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

# Slack's biggest payloads (a modal's view_submission with every block state) stay well under
# 1 MiB; twice that leaves room and still keeps a flood of bodies from filling memory.
MAX_BODY_BYTES = 2 * 1024 * 1024


class BodyTooLarge(Exception):
    """The body is (or says it is) over :data:`MAX_BODY_BYTES`: answer 413."""


class BodyIncomplete(Exception):
    """The client stopped before sending the body it announced: answer 400."""


class MalformedBody(Exception):
    """The body is not the JSON or form it claims to be: answer 400."""


def read_body(environ: WSGIEnvironment, limit: int = MAX_BODY_BYTES) -> bytes:
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared:
        if not declared.isdigit():
            raise BodyIncomplete(f"Content-Length {declared!r} is no number")
        length = int(declared)
        if length > limit:
            raise BodyTooLarge(f"{length} bytes declared")
        raw = _read(stream, length)
        if len(raw) < length:
            raise BodyIncomplete(f"{len(raw)} of {length} bytes arrived")
        return raw
    # Chunked or undeclared: one byte past the limit tells "too large" from "exactly the limit".
    raw = _read(stream, limit + 1)
    if len(raw) > limit:
        raise BodyTooLarge("over the limit without a declared length")
    return raw


def _read(stream: Any, size: int) -> bytes:
    try:
        data: bytes = stream.read(size)
    except MaxSizeExceeded as error:
        raise BodyTooLarge("over the server's limit") from error
    except OSError as error:
        # cheroot's cap on chunked bodies says so with a plain OSError; socket errors pass on.
        if "Too Large" in str(error):
            raise BodyTooLarge("over the server's limit") from error
        raise
    except ValueError as error:  # cheroot's answer to a malformed chunk
        raise BodyIncomplete(str(error)) from error
    return data


def parse_slack_body(text: str, content_type: str) -> dict[str, Any]:
    """The body as Bolt's ``parse_body`` reads it (JSON, a form, or a form with a JSON
    ``payload``), but raising :class:`MalformedBody` where Bolt would crash with a traceback."""
    if not text:
        return {}
    try:
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            return _object(json.loads(text))
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in text:
            payload = form.get("payload")
            return _object(json.loads(payload)) if payload is not None else {}
        return form
    except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise MalformedBody(str(error)) from error


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedBody("not a JSON object")
    return value
