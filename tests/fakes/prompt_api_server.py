"""A small stand-in for alignbot's prompt API, over real HTTP on 127.0.0.1, for client tests.

It follows the API contract (paths, query, Bearer keys, ETag and 304, JSON errors, 429 with
Retry-After) with prompts kept in memory, and adds what tests need to see and steer:

- counters: every request (path, query, headers) and every ``If-None-Match`` value received;
- switches: ``stop()`` / ``start()`` on the same port (a server that is really down: connection
  refused), ``fail_with(status)`` for 5xx/429 answers, ``hostile(...)`` for raw answers that
  break the contract, and ``delay`` to hold every answer back.

Every answer closes its connection, so a stopped server cannot keep answering over a kept-alive
connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

API_KEY = "ab_" + "k" * 40
UPDATED_AT = "2025-05-01T12:00:00+00:00"


@dataclass(frozen=True)
class SeenRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased


@dataclass(frozen=True)
class RawAnswer:
    """Exactly what goes back: for answers that break the contract on purpose."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # False: no Content-Length; the body ends when the connection closes.
    content_length: bool = True
    # Above 0: the body is sent a byte at a time, this many seconds apart.
    drip_seconds: float = 0.0


@dataclass
class _Version:
    number: int
    template: str
    principles: list[str]
    model_settings: dict[str, Any]
    updated_at: str


class PromptAPIServer:
    """The prompt API's contract, with prompts in memory and switches for failures."""

    def __init__(self, api_keys: tuple[str, ...] = (API_KEY,)) -> None:
        self.api_keys = set(api_keys)
        self.delay = 0.0
        self._prompts: dict[str, list[_Version]] = {}
        self._labels: dict[str, dict[str, int]] = {}
        self._failure: RawAnswer | None = None
        self._lock = threading.Lock()
        self._seen: list[SeenRequest] = []
        self.etags_sent: list[str] = []
        self._port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the prompts -------------------------------------------------------------------------

    def add_version(
        self,
        name: str,
        template: str,
        principles: list[str] | None = None,
        model_settings: dict[str, Any] | None = None,
        label: str | None = "production",
    ) -> int:
        """A new version of ``name`` (which is created if new); ``label`` moves onto it."""
        with self._lock:
            versions = self._prompts.setdefault(name, [])
            number = len(versions) + 1
            settings = {"model": None, "temperature": None, "max_tokens": None}
            versions.append(
                _Version(
                    number,
                    template,
                    list(principles or []),
                    settings | (model_settings or {}),
                    UPDATED_AT,
                )
            )
            if label is not None:
                self._labels.setdefault(name, {})[label] = number
            return number

    def promote(self, name: str, version: int, label: str = "production") -> None:
        with self._lock:
            self._labels.setdefault(name, {})[label] = version

    def delete(self, name: str) -> None:
        with self._lock:
            self._prompts.pop(name, None)
            self._labels.pop(name, None)

    def revoke(self, key: str) -> None:
        with self._lock:
            self.api_keys.discard(key)

    # --- switches and counters ---------------------------------------------------------------

    def fail_with(self, status: int, retry_after: int | None = None) -> None:
        """Answer every request with ``status`` (a contract error body) until ``recover()``."""
        code = "rate_limited" if status == 429 else "unavailable"
        body = json.dumps({"error": {"code": code, "message": f"fake failure {status}"}})
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.hostile(RawAnswer(status, body.encode(), headers))

    def hostile(self, answer: RawAnswer) -> None:
        """Answer every request with exactly ``answer`` until ``recover()``."""
        with self._lock:
            self._failure = answer

    def recover(self) -> None:
        with self._lock:
            self._failure = None

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._seen)

    def count(self, path: str | None = None) -> int:
        return sum(1 for r in self.requests if path is None or r.path == path)

    @property
    def if_none_match_seen(self) -> list[str]:
        return [r.headers["if-none-match"] for r in self.requests if "if-none-match" in r.headers]

    # --- running -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> Self:
        """Listen (again, on the same port after a ``stop()``)."""
        server = ThreadingHTTPServer(("127.0.0.1", self._port), self._handler_class())
        server.daemon_threads = True
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: from now on connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- answering ---------------------------------------------------------------------------

    def _answer(self, request: SeenRequest) -> RawAnswer:
        with self._lock:
            if self._failure is not None:
                return self._failure
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.api_keys:
                return _error(401, "unauthorized", "missing or unknown API key")
            if request.path == "/api/v1/prompts":
                return self._listing(request)
            prefix = "/api/v1/prompts/"
            if not request.path.startswith(prefix):
                return _error(404, "not_found", f"no route {request.path}")
            return self._one(unquote(request.path[len(prefix) :]), request)

    def _listing(self, request: SeenRequest) -> RawAnswer:
        prompts = [
            {
                "name": name,
                "version": versions[-1].number,
                "labels": dict(self._labels.get(name, {})),
                "updated_at": versions[-1].updated_at,
            }
            for name, versions in sorted(self._prompts.items())
        ]
        return _json_answer({"prompts": prompts}, request)

    def _one(self, name: str, request: SeenRequest) -> RawAnswer:
        label, version = request.query.get("label"), request.query.get("version")
        if label is not None and version is not None:
            return _error(400, "bad_request", "pass label or version, not both")
        versions = self._prompts.get(name)
        if not versions:
            return _error(404, "not_found", f"no prompt named {name}")
        labels = self._labels.get(name, {})
        if version is not None:
            if not version.isdigit() or int(version) < 1:
                return _error(400, "bad_request", "version must be a positive integer")
            number = int(version)
        elif label is not None:
            if label not in labels:
                return _error(404, "not_found", f"prompt {name} has no version labelled {label}")
            number = labels[label]
        else:
            number = versions[-1].number
        if number > len(versions):
            return _error(404, "not_found", f"prompt {name} has no version {number}")
        chosen = versions[number - 1]
        return _json_answer(
            {
                "name": name,
                "version": chosen.number,
                "labels": sorted(lbl for lbl, n in labels.items() if n == chosen.number),
                "template": chosen.template,
                "variables": _variables(chosen.template),
                "principles": list(chosen.principles),
                "model_settings": dict(chosen.model_settings),
                "updated_at": chosen.updated_at,
            },
            request,
        )

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        request = SeenRequest(
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={name.lower(): value for name, value in handler.headers.items()},
        )
        with self._lock:
            self._seen.append(request)
        if self.delay:
            time.sleep(self.delay)
        answer = self._answer(request)
        if "ETag" in answer.headers:
            with self._lock:
                self.etags_sent.append(answer.headers["ETag"])
        handler.send_response(answer.status)
        if answer.status != 304:
            handler.send_header("Content-Type", "application/json")
            if answer.content_length:
                handler.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        if answer.status != 304:
            # The client may stop reading early (a body over its size cap).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if not answer.drip_seconds:
                    handler.wfile.write(answer.body)
                for index in range(len(answer.body) if answer.drip_seconds else 0):
                    handler.wfile.write(answer.body[index : index + 1])
                    handler.wfile.flush()
                    time.sleep(answer.drip_seconds)
        handler.close_connection = True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler


def _variables(template: str) -> list[str]:
    # The fake finds placeholders its own way rather than through the library under test.
    names: list[str] = []
    for match in re.finditer(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}", template):
        if match.group(1) and match.group(1) not in names:
            names.append(match.group(1))
    return names


def _error(status: int, code: str, message: str) -> RawAnswer:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return RawAnswer(status, body, headers)


def _json_answer(payload: dict[str, Any], request: SeenRequest) -> RawAnswer:
    body = json.dumps(payload, sort_keys=True).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=0"}
    if request.headers.get("if-none-match") == etag:
        return RawAnswer(304, b"", headers)
    return RawAnswer(200, body, headers)
