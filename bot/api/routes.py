"""The prompt API's HTTP side: a WSGI app for ``/api/v1/...`` that the bot's server mounts.

Every answer is JSON. A request is checked in the order that costs least to refuse: method
and path, then the query, then the key (one Redis read), then the key's rate limit, and only
then are prompts read. Answers carry a strong ``ETag`` (a hash of the body), and a request whose
``If-None-Match`` holds it gets ``304`` with no body. Redis being unreachable is ``503``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import redis

from bot.api.documents import (
    KeyGone,
    NotFound,
    OverLimit,
    PromptReader,
    Selector,
    list_prompts,
)
from bot.api.keys import KeyDirectory, KeyOwner
from bot.api.openapi import openapi_document
from bot.budgets import RequestWindow
from bot.commands.prompts import PROMPT_NAME_RULE, is_prompt_name
from bot.prompts.labels import LABEL_RULE, LabelError, check_label

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
PROMPTS_PATH = f"{API_PREFIX}/prompts"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
CACHE_CONTROL = "private, max-age=0"
# Readers retry after this long when Redis is away; a restart usually takes a few seconds.
UNAVAILABLE_RETRY_SECONDS = 5
_BEARER = re.compile(r"\s*[Bb]earer\s+(\S+)\s*")

WsgiApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


class ApiError(Exception):
    """An answer other than 200: status line, error code, message and extra headers."""

    def __init__(
        self, status: str, code: str, message: str, headers: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []


def _body(payload: Any) -> bytes:
    # Sorted and compact, so one document always gives the same bytes, and so the same ETag.
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    wanted = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in wanted or etag in wanted or f"W/{etag}" in wanted


def _send(
    start_response: StartResponse,
    status: str,
    body: bytes,
    headers: list[tuple[str, str]],
) -> Iterable[bytes]:
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


def _error(start_response: StartResponse, error: ApiError) -> Iterable[bytes]:
    body = _body({"error": {"code": error.code, "message": error.message}})
    return _send(
        start_response, error.status, body, [("Cache-Control", "no-store"), *error.headers]
    )


def _document(
    environ: WSGIEnvironment, start_response: StartResponse, payload: Any
) -> Iterable[bytes]:
    body = _body(payload)
    etag = etag_of(body)
    headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
    if _matches(environ.get("HTTP_IF_NONE_MATCH", ""), etag):
        start_response("304 Not Modified", headers)
        return [b""]
    return _send(start_response, "200 OK", body, headers)


def bad_request(message: str) -> ApiError:
    return ApiError("400 Bad Request", "bad_request", message)


def not_found(message: str) -> ApiError:
    return ApiError("404 Not Found", "not_found", message)


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        "401 Unauthorized",
        "unauthorized",
        message,
        [("WWW-Authenticate", 'Bearer realm="alignbot"')],
    )


def _invalid_key() -> ApiError:
    # One answer for malformed, unknown and revoked keys: nothing to learn by probing.
    return _unauthorized("The API key is not valid (unknown or revoked).")


def _selector(query: str) -> Selector:
    params = parse_qs(query, keep_blank_values=True)
    labels, versions = params.get("label", []), params.get("version", [])
    if len(labels) > 1 or len(versions) > 1:
        raise bad_request("Give 'label' or 'version' at most once.")
    if labels and versions:
        raise bad_request("Give either 'label' or 'version', not both.")
    if labels:
        try:
            return Selector(label=check_label(labels[0]))
        except LabelError:
            raise bad_request(f"'label' must be {LABEL_RULE} characters.") from None
    if versions:
        text = versions[0]
        if not (text.isascii() and text.isdigit()) or int(text) < 1 or len(text) > 9:
            raise bad_request("'version' must be a positive whole number, e.g. version=3.")
        return Selector(version=int(text))
    return Selector()


class PromptApi:
    """The WSGI app for ``/api/v1``; every request reads Redis afresh (no per-process cache)."""

    def __init__(self, client: redis.Redis, requests_per_minute: int) -> None:
        self.redis = client
        self.window = RequestWindow(client, requests_per_minute, window_seconds=60)
        self.reader = PromptReader(client, self.window)
        self.keys = KeyDirectory(client)
        self.openapi = _body(openapi_document())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._answer(environ, start_response)
        except ApiError as error:
            return _error(start_response, error)
        except redis.RedisError as error:
            log.warning("prompt API: storage unreachable: %s", type(error).__name__)
            unavailable = ApiError(
                "503 Service Unavailable",
                "unavailable",
                "Prompt storage is unreachable; try again shortly.",
                [("Retry-After", str(UNAVAILABLE_RETRY_SECONDS))],
            )
            return _error(start_response, unavailable)

    def _answer(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == OPENAPI_PATH:
            self._only_get(environ)
            return _document(environ, start_response, json.loads(self.openapi))
        if path == PROMPTS_PATH:
            self._only_get(environ)
            key_hash, owner = self._owner(environ)
            pipe = self.redis.pipeline(transaction=False)
            self.keys.check(pipe, owner)
            self.window.take_in(pipe, self._budget(owner))
            self._admitted(key_hash, *pipe.execute())
            return _document(environ, start_response, list_prompts(self.redis, owner.workspace))
        prefix = PROMPTS_PATH + "/"
        if not path.startswith(prefix):
            raise not_found(f"There is no '{path[:100]}' in this API; see {OPENAPI_PATH}.")
        self._only_get(environ)
        name = path[len(prefix) :]
        if not is_prompt_name(name):
            raise bad_request(f"A prompt name is {PROMPT_NAME_RULE} characters.")
        wanted = _selector(environ.get("QUERY_STRING", ""))
        key_hash, owner = self._owner(environ)
        # The key's check, its count and the read: one script, one round trip.
        try:
            document = self.reader.read(key_hash, owner, name, wanted)
        except KeyGone:
            self.keys.confirm(key_hash, None)  # forgets it
            raise _invalid_key() from None
        except OverLimit as over:
            raise self._rate_limited(over.wait_seconds) from None
        except NotFound as missing:
            raise not_found(str(missing)) from None
        return _document(environ, start_response, document)

    @staticmethod
    def _only_get(environ: WSGIEnvironment) -> None:
        if environ.get("REQUEST_METHOD") != "GET":
            raise ApiError(
                "405 Method Not Allowed",
                "method_not_allowed",
                "This API only reads: use GET.",
                [("Allow", "GET")],
            )

    def _owner(self, environ: WSGIEnvironment) -> tuple[str, KeyOwner]:
        header = environ.get("HTTP_AUTHORIZATION")
        if not header:
            raise _unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
        match = _BEARER.fullmatch(header)
        found = self.keys.lookup(match.group(1)) if match else None
        if found is None:
            raise _invalid_key()
        return found

    def _admitted(self, key_hash: str, live: object, count: object) -> None:
        """401 for a key revoked since it was looked up, 429 over its limit."""
        if not self.keys.confirm(key_hash, live):
            raise _invalid_key()
        wait = self.window.verdict(count)
        if wait is not None:
            raise self._rate_limited(wait)

    @staticmethod
    def _budget(owner: KeyOwner) -> str:
        return owner.workspace.keys.api_key_budget(owner.name)

    def _rate_limited(self, wait: float) -> ApiError:
        seconds = max(1, math.ceil(wait))
        return ApiError(
            "429 Too Many Requests",
            "rate_limited",
            f"This key is over its limit of {self.window.limit} requests per minute; "
            f"retry after {seconds} seconds.",
            [("Retry-After", str(seconds))],
        )
