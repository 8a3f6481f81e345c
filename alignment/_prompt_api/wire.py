"""Reading the prompt API's answers without trusting them.

Every answer is checked before anything in it is used: its size (while it streams in), that it
is JSON, and that each field has the type and range the API contract promises. A field the
contract does not know is ignored, so a newer server can add fields; a field it knows with the
wrong type is refused, with a message naming the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from alignment._prompt_api.prompt import ModelSettings, PromptSummary, ServedPrompt
from alignment._prompting.template import template_variables
from alignment.errors import PromptResponseError, TemplateError

# Generous for a prompt (the template, its principles and settings), small enough that a broken
# or hostile server cannot make an application hold much memory.
DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

_MAX_LABELS = 100
_MAX_PRINCIPLES = 1000
_MAX_PROMPTS = 10_000
_SHORT_TEXT = 200
# An ETag is sent back verbatim in If-None-Match, so only a plain quoted token is kept.
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e]{1,128}"')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(value: object, limit: int = 60) -> str:
    """A short, printable rendering of a value from the server, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def server_text(value: object, limit: int = 300) -> str:
    """Text the server sent (an error message), cut short and stripped of control characters."""
    text = _CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_capped(chunks: Iterator[bytes], declared: str | None, cap: int) -> bytes:
    """The whole body, refusing it as soon as it is known to be larger than ``cap`` bytes.

    ``declared`` is the Content-Length header: a body announced as too large is refused before
    any of it is read; one that does not say (or lies) is refused once ``cap`` is passed.
    """
    if declared is not None and declared.strip().isdigit() and int(declared) > cap:
        raise PromptResponseError(_too_large(cap))
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > cap:
            raise PromptResponseError(_too_large(cap))
    return bytes(body)


def _too_large(cap: int) -> str:
    return (
        f"the prompt API's answer is larger than {cap} bytes and was not read; check base_url "
        "points at the prompt API (or raise max_response_bytes)"
    )


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise PromptResponseError(
            f"the prompt API's answer for {what} is not JSON ({server_text(error, 120)}); check "
            "base_url points at the prompt API"
        ) from None


def etag_of(header: str | None) -> str | None:
    """The ETag to send back later, or None when the header is absent or not a plain ETag."""
    if header is None:
        return None
    header = header.strip()
    return header if _ETAG.fullmatch(header) else None


def retry_after_of(header: str | None) -> float | None:
    """Retry-After in seconds (its date form is ignored), capped at an hour."""
    if header is None or not header.strip().isdigit():
        return None
    return float(min(int(header.strip()), 3600))


def error_message_of(body: bytes) -> str | None:
    """The ``error.message`` of an error answer, when it has the API's error shape."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return server_text(message) if isinstance(message, str) and message.strip() else None


class _Fields:
    """Typed access to one JSON object of an answer, each failure naming the field."""

    def __init__(self, payload: object, what: str) -> None:
        if not isinstance(payload, dict):
            raise self.refuse(what, f"expected a JSON object, got {shown(payload)}")
        self.payload: dict[str, Any] = payload
        self.what = what

    @staticmethod
    def refuse(what: str, problem: str) -> PromptResponseError:
        return PromptResponseError(
            f"the prompt API's answer for {what} is not usable: {problem}; the server may be a "
            "different version than this client expects"
        )

    def fail(self, key: str, expected: str) -> PromptResponseError:
        got = shown(self.payload.get(key)) if key in self.payload else "nothing"
        return self.refuse(self.what, f"field {key!r} must be {expected}, got {got}")

    def text(self, key: str, *, limit: int | None = _SHORT_TEXT, empty: bool = False) -> str:
        value = self.payload.get(key)
        if not isinstance(value, str) or (limit is not None and len(value) > limit):
            raise self.fail(key, f"a string of at most {limit} characters" if limit else "a string")
        if not empty and not value.strip():
            raise self.fail(key, "a non-empty string")
        return value

    def version(self, key: str) -> int:
        value = self.payload.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(key, "a positive integer")
        return value

    def texts(self, key: str, limit: int, *, item_limit: int | None) -> tuple[str, ...]:
        value = self.payload.get(key)
        expected = f"a list of at most {limit} strings"
        if not isinstance(value, list) or len(value) > limit:
            raise self.fail(key, expected)
        if not all(
            isinstance(v, str) and (item_limit is None or len(v) <= item_limit) for v in value
        ):
            raise self.fail(
                key, expected + (f" of at most {item_limit} characters" if item_limit else "")
            )
        return tuple(value)

    def timestamp(self, key: str) -> datetime:
        value = self.text(key)
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(key, "an ISO-8601 time") from None


def _model_settings(payload: object, what: str) -> ModelSettings:
    if payload is None:
        return ModelSettings()
    fields = _Fields(payload, what)
    model = fields.payload.get("model")
    if model is not None and (
        not isinstance(model, str) or not model.strip() or len(model) > _SHORT_TEXT
    ):
        raise fields.fail("model", "null or a model spec such as 'openai:llama3.1'")
    temperature = fields.payload.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not math.isfinite(temperature)
        or temperature < 0
    ):
        raise fields.fail("temperature", "null or a number of at least 0")
    max_tokens = fields.payload.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise fields.fail("max_tokens", "null or a positive integer")
    return ModelSettings(
        model=model,
        temperature=None if temperature is None else float(temperature),
        max_tokens=max_tokens,
    )


def prompt_from_answer(payload: object, what: str) -> ServedPrompt:
    """A ``ServedPrompt`` from the JSON of ``GET /api/v1/prompts/{name}``, checked by field."""
    fields = _Fields(payload, what)
    template = fields.text("template", limit=None, empty=True)
    try:
        placeholders = template_variables(template)
    except TemplateError as error:
        raise fields.refuse(what, f"its template cannot be filled ({error})") from None
    variables = fields.texts("variables", _MAX_PRINCIPLES, item_limit=_SHORT_TEXT)
    if set(variables) != set(placeholders):
        raise fields.refuse(
            what,
            f"it lists the variables {shown(list(variables))} but its template has "
            f"{shown(placeholders)}",
        )
    return ServedPrompt(
        name=fields.text("name"),
        version=fields.version("version"),
        template=template,
        labels=fields.texts("labels", _MAX_LABELS, item_limit=_SHORT_TEXT),
        principles=fields.texts("principles", _MAX_PRINCIPLES, item_limit=None),
        model_settings=_model_settings(fields.payload.get("model_settings"), what),
        updated_at=fields.timestamp("updated_at"),
    )


def summaries_from_answer(payload: object) -> list[PromptSummary]:
    """The prompts of ``GET /api/v1/prompts``, each checked like a single prompt's answer."""
    what = "the list of prompts"
    prompts = _Fields(payload, what).payload.get("prompts")
    if not isinstance(prompts, list) or len(prompts) > _MAX_PROMPTS:
        raise _Fields.refuse(what, f"field 'prompts' must be a list of at most {_MAX_PROMPTS}")
    summaries = []
    for entry in prompts:
        fields = _Fields(entry, what)
        labels = fields.payload.get("labels")
        if (
            not isinstance(labels, dict)
            or len(labels) > _MAX_LABELS
            or not all(
                isinstance(label, str)
                and len(label) <= _SHORT_TEXT
                and isinstance(number, int)
                and not isinstance(number, bool)
                and number >= 1
                for label, number in labels.items()
            )
        ):
            raise fields.fail("labels", "an object of label names to version numbers")
        summaries.append(
            PromptSummary(
                name=fields.text("name"),
                version=fields.version("version"),
                labels=dict(labels),
                updated_at=fields.timestamp("updated_at"),
            )
        )
    return summaries
