"""Fetch the prompt versions a team approved in Slack, from any Python application.

``PromptClient`` reads alignbot's prompt API (``alignbot serve`` answers on ``/api/v1``)::

    from alignment import PromptClient

    prompts = PromptClient("https://alignbot.example.com", api_key=os.environ["ALIGN_API_KEY"])
    prompt = prompts.get("uses", label="production", fallback="Give three uses for {item}.")
    text = prompt.format(item="scissors")

How it behaves, and why:

- **Cached.** An answer is kept in memory per (name, label or version) for ``cache_seconds``;
  within that time ``get`` returns it without a request. After it, the client asks again with
  ``If-None-Match``, and a ``304`` keeps the copy for another ``cache_seconds``.
- **An application never fails because the server is down.** When the server cannot be reached
  or cannot answer (connection error, timeout, 5xx, 429, or an answer that is not the API's
  JSON), ``get`` keeps serving the last good copy and logs a warning; a failed check counts as
  a check, so the next try comes ``cache_seconds`` later (or after ``Retry-After``, when
  longer) and a down server does not slow every call. With no copy yet, the ``fallback``
  template is served (with a warning); with neither, ``PromptUnavailableError`` (or
  ``PromptResponseError``) is raised.
- **But what the server *says* is shown.** A ``404`` (the prompt was deleted, or the label
  moved off every version) and a ``401`` (the key was revoked) raise ``PromptNotFoundError`` /
  ``PromptAuthError`` even when a copy is cached, and drop that copy: they are decisions
  someone made, and serving an old copy, or the fallback, would hide them until someone
  noticed. A fallback is for an outage, not for a mistyped name.
- **Thread-safe.** One client can be shared by every thread; concurrent ``get`` calls for the
  same prompt wait for one request rather than each making their own.
- **Nothing from the server is trusted.** Answers are capped in size (``max_response_bytes``)
  and checked field by field; redirects are not followed, so the key goes to ``base_url`` only.
  The API key never appears in ``repr``, in logs or in error messages.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import httpx2

from alignment._prompt_api.prompt import ModelSettings, PromptSummary, ServedPrompt
from alignment._prompt_api.wire import (
    DEFAULT_MAX_RESPONSE_BYTES,
    error_message_of,
    etag_of,
    parse_json,
    prompt_from_answer,
    read_capped,
    retry_after_of,
    server_text,
    summaries_from_answer,
)
from alignment._prompting.template import template_variables
from alignment.errors import (
    PromptAuthError,
    PromptNotFoundError,
    PromptRequestError,
    PromptResponseError,
    PromptServiceError,
    PromptUnavailableError,
)

__all__ = [
    "DEFAULT_LABEL",
    "ModelSettings",
    "PromptAuthError",
    "PromptClient",
    "PromptNotFoundError",
    "PromptRequestError",
    "PromptResponseError",
    "PromptServiceError",
    "PromptSummary",
    "PromptUnavailableError",
    "ServedPrompt",
]

logger = logging.getLogger(__name__)

DEFAULT_LABEL = "production"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class _Key:
    name: str
    label: str | None
    version: int | None

    def __str__(self) -> str:
        which = f"version {self.version}" if self.version is not None else f"label {self.label!r}"
        return f"prompt {self.name!r} ({which})"


@dataclass
class _Copy:
    prompt: ServedPrompt
    etag: str | None
    fresh_until: float


@dataclass
class _Slot:
    """What the client knows of one (name, label or version); changed only under ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    copy: _Copy | None = None
    # With no copy, a fallback is served without asking again until then (after a failure).
    retry_at: float = float("-inf")


class PromptClient:
    """A cached, thread-safe client of alignbot's prompt API (see the module's docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        cache_seconds: float = 60.0,
        timeout: float = 5.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``base_url`` is where ``alignbot serve`` answers (without ``/api/v1``); ``api_key``
        one made with ``/align apikey create``. ``timeout`` bounds each request (seconds);
        ``clock`` (monotonic seconds) is there for tests."""
        if not base_url.startswith(("http://", "https://")):
            raise PromptRequestError(
                f"base_url must start with http:// or https://, got {base_url[:60]!r}"
            )
        key = api_key.strip() if isinstance(api_key, str) else ""
        if not key or not key.isprintable() or any(ch.isspace() for ch in key):
            # The key itself is never echoed, not even in this message.
            raise PromptRequestError(
                "api_key is empty or has spaces or control characters: pass the key shown by "
                "/align apikey create"
            )
        if cache_seconds < 0 or timeout <= 0 or max_response_bytes < 1:
            raise PromptRequestError(
                "cache_seconds must be at least 0, timeout and max_response_bytes above 0"
            )
        self.base_url = base_url.rstrip("/")
        # A base URL may carry a user and password; repr, logs and errors show it without them.
        parts = urlsplit(self.base_url)
        self._shown_url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        self.cache_seconds = float(cache_seconds)
        self.timeout = float(timeout)
        self.max_response_bytes = max_response_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[_Key, _Slot] = {}
        self._http = httpx2.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            timeout=self.timeout,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"PromptClient(base_url={self._shown_url!r}, cache_seconds={self.cache_seconds:g})"

    def close(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> PromptClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the API --------------------------------------------------------------------------------

    def get(
        self,
        name: str,
        *,
        label: str | None = None,
        version: int | None = None,
        fallback: str | None = None,
    ) -> ServedPrompt:
        """The version of prompt ``name`` carrying ``label``, or version number ``version``.

        With neither, the version labelled ``production``. ``fallback`` is a template served
        (``is_fallback`` true) when the server cannot be reached and no copy was fetched
        before; it is checked on every call, so a broken fallback shows at once.
        """
        key = self._key(name, label, version)
        fallback_prompt = None
        if fallback is not None:
            template_variables(fallback)  # raises TemplateError for a template that cannot run
            fallback_prompt = ServedPrompt(
                name=key.name, version=0, template=fallback, is_fallback=True
            )
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
        with slot.lock:
            return self._get(key, slot, fallback_prompt)

    def list(self) -> list[PromptSummary]:
        """Every prompt of the key's workspace, with its current version and its labels.

        Not cached; raises ``PromptUnavailableError`` when the server cannot answer.
        """
        what = "the list of prompts"
        answer = self._fetch("/api/v1/prompts", {}, None, what)
        if answer.status != 200:
            raise PromptResponseError(f"the prompt API answered {answer.status} for {what}")
        return summaries_from_answer(parse_json(answer.body, what))

    # -- caching --------------------------------------------------------------------------------

    def _get(self, key: _Key, slot: _Slot, fallback: ServedPrompt | None) -> ServedPrompt:
        now = self._clock()
        copy = slot.copy
        if copy is not None and now < copy.fresh_until:
            return copy.prompt
        if copy is None and fallback is not None and now < slot.retry_at:
            return fallback
        try:
            prompt = self._fetch_prompt(key, copy)
        except (PromptAuthError, PromptNotFoundError, PromptRequestError):
            slot.copy = None  # the server's decision wins over the copy: see the module docstring
            raise
        except (PromptUnavailableError, PromptResponseError) as failure:
            return self._serve_instead(key, slot, fallback, failure)
        now = self._clock()
        if prompt is None:  # 304: the copy is still the current one
            assert copy is not None
            copy.fresh_until = now + self.cache_seconds
            return copy.prompt
        slot.copy = _Copy(prompt[0], prompt[1], now + self.cache_seconds)
        slot.retry_at = float("-inf")
        return prompt[0]

    def _fetch_prompt(
        self, key: _Key, copy: _Copy | None
    ) -> tuple[ServedPrompt, str | None] | None:
        """The prompt and its ETag, or None when the server says ``copy`` is still current."""
        path = f"/api/v1/prompts/{quote(key.name, safe='')}"
        answer = self._fetch(path, self._query(key), copy.etag if copy else None, str(key))
        if answer.status == 304:
            if copy is None or copy.etag is None:
                raise PromptResponseError(
                    f"the prompt API answered 304 Not Modified for {key}, which this client "
                    "holds no copy of"
                )
            return None
        prompt = prompt_from_answer(parse_json(answer.body, str(key)), str(key))
        _check_asked_for(prompt, key)
        return prompt, answer.etag

    def _serve_instead(
        self,
        key: _Key,
        slot: _Slot,
        fallback: ServedPrompt | None,
        failure: PromptUnavailableError | PromptResponseError,
    ) -> ServedPrompt:
        """The last good copy, else the fallback, else the failure raised."""
        retry_after = getattr(failure, "retry_after", None) or 0.0
        wait = max(self.cache_seconds, retry_after)
        now = self._clock()
        if slot.copy is not None:
            slot.copy.fresh_until = now + wait
            logger.warning(
                "%s: %s; serving version %d fetched earlier, next try in %gs",
                key,
                failure,
                slot.copy.prompt.version,
                wait,
            )
            return slot.copy.prompt
        if fallback is not None:
            slot.retry_at = now + wait
            logger.warning(
                "%s: %s; serving the fallback template, next try in %gs", key, failure, wait
            )
            return fallback
        raise failure

    # -- one request ----------------------------------------------------------------------------

    @staticmethod
    def _key(name: str, label: str | None, version: int | None) -> _Key:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise PromptRequestError(
                f"prompt name {str(name)[:60]!r} is not valid: use the name shown by /align list "
                "(letters, digits, '-', '_' and '.')"
            )
        if label is not None and version is not None:
            raise PromptRequestError("pass label= or version=, not both")
        if version is not None and (
            isinstance(version, bool) or not isinstance(version, int) or version < 1
        ):
            raise PromptRequestError(f"version must be a positive integer, got {version!r}")
        if label is not None and (not isinstance(label, str) or not _LABEL.fullmatch(label)):
            raise PromptRequestError(
                f"label {str(label)[:60]!r} is not valid: letters, digits, '-', '_' and '.'"
            )
        if version is None and label is None:
            label = DEFAULT_LABEL
        return _Key(name, label, version)

    @staticmethod
    def _query(key: _Key) -> dict[str, str]:
        return (
            {"version": str(key.version)} if key.version is not None else {"label": str(key.label)}
        )

    def _fetch(self, path: str, query: dict[str, str], etag: str | None, what: str) -> _Answer:
        """One GET; raises the error its status or failure calls for (304 is an answer)."""
        headers = {"If-None-Match": etag} if etag else {}
        deadline = time.monotonic() + self.timeout
        try:
            with self._http.stream("GET", path, params=query, headers=headers) as response:
                status = response.status_code
                if status == 304:
                    return _Answer(status, b"", etag_of(response.headers.get("ETag")))
                body = read_capped(
                    _within(deadline, response.iter_bytes()),
                    response.headers.get("Content-Length"),
                    self.max_response_bytes,
                )
                answer = _Answer(status, body, etag_of(response.headers.get("ETag")))
                retry_after = retry_after_of(response.headers.get("Retry-After"))
        except httpx2.TransportError as error:
            raise PromptUnavailableError(
                f"the prompt API at {self._shown_url} could not be reached for {what} "
                f"({type(error).__name__}: {server_text(error, 120) or 'no detail'})"
            ) from None
        except httpx2.HTTPError as error:  # a body that cannot be decoded, and the like
            raise PromptResponseError(
                f"the prompt API's answer for {what} could not be read ({type(error).__name__})"
            ) from None
        if status not in (200, 304):
            raise _status_error(status, what, error_message_of(answer.body), retry_after)
        return answer


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    etag: str | None


class _SlowAnswer(httpx2.ReadTimeout):
    """The body trickled in for longer than the timeout (each read alone was quick enough)."""


def _within(deadline: float, chunks: Iterator[bytes]) -> Iterator[bytes]:
    # httpx's timeout bounds each read; a server sending a byte at a time could stretch one
    # answer without end, so the whole body must also arrive within the timeout.
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise _SlowAnswer("the answer took longer than the timeout to arrive")
        yield chunk


def _status_error(
    status: int, what: str, message: str | None, retry_after: float | None
) -> PromptServiceError:
    said = f": {message}" if message else ""
    if status == 400:
        return PromptRequestError(f"the prompt API refused the request for {what}{said}")
    if status == 401:
        return PromptAuthError(
            f"the prompt API refused the API key for {what}{said}; the key may be revoked: "
            "make a new one with /align apikey create"
        )
    if status == 404:
        return PromptNotFoundError(
            f"the prompt API has no {what}{said}; /align list shows the prompts and their labels"
        )
    if status == 429 or status >= 500:
        wait = f"; retry after {retry_after:g}s" if retry_after else ""
        return PromptUnavailableError(
            f"the prompt API could not answer for {what} (HTTP {status}{said}){wait}",
            retry_after=retry_after,
        )
    return PromptResponseError(
        f"the prompt API answered HTTP {status} for {what}, which it never sends{said}; check "
        "base_url points at the prompt API itself, not at a redirect"
    )


def _check_asked_for(prompt: ServedPrompt, key: _Key) -> None:
    """Refuse an answer about another prompt or version (a misrouted or mixed-up answer)."""
    problem = None
    if prompt.name.lower() != key.name.lower():
        problem = f"it is prompt {prompt.name[:60]!r}"
    elif key.version is not None and prompt.version != key.version:
        problem = f"it is version {prompt.version}"
    elif key.label is not None and key.label.lower() not in {x.lower() for x in prompt.labels}:
        problem = f"it does not carry label {key.label!r}"
    if problem:
        raise PromptResponseError(
            f"the prompt API's answer for {key} is not the one asked for: {problem}"
        )
