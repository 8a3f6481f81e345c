"""A local stand-in for the Gemini API's ``generateContent`` and ``batchEmbedContents``.

``streamGenerateContent?alt=sse`` streams the same answers as server-sent events, one word-sized
piece each, ``token_delay`` seconds apart (the fake's default, or the reply's own); a reply with
``fail_after=K`` drops the connection after K pieces, mid-answer.

    with FakeGemini() as gemini:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.url)
        gemini.queue("first answer")
        gemini.queue(status=429, retry_delay="2s")
        gemini.queue(texts=["one", "two"])
        ...
        gemini.requests[0].body["generationConfig"]["temperature"]

With an empty queue the ``responder`` (if given) answers: it receives the ``RecordedRequest`` and
returns a string or a ``GeminiReply``. Token counts default to word counts, so usage totals are
predictable.

``batchEmbedContents`` (what google-genai's ``embed_content`` calls on the Gemini API) answers
from its own queue (``queue_embedding(status=429)``), else with ``embedder(text)`` for each text
(``hash_embedding`` by default, cut to the ``outputDimensionality`` asked for).
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.embeddings import DEFAULT_DIMENSIONS, hash_embedding
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, WireReply, tokens

FAKE_API_KEY = "fake-gemini-key"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_EMBED_PATH = re.compile(r"^/v1\w*/models/(?P<model>[^/:]+):batchEmbedContents")
_GENERATE_PATH = re.compile(
    r"^/v1\w*/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)"
)


@dataclass(frozen=True)
class GeminiReply:
    """One scripted answer. ``status`` other than 200 sends an error body instead."""

    text: str | None = None
    texts: tuple[str, ...] | None = None  # several candidates
    status: int = 200
    message: str | None = None
    error_details: tuple[dict[str, Any], ...] = ()
    retry_delay: str | None = None  # becomes a google.rpc.RetryInfo detail, e.g. "2s"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to hold the answer back
    finish_reason: str = "STOP"
    block_reason: str | None = None  # the prompt itself refused: no candidates at all
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None
    token_delay: float | None = None  # streamed: seconds between pieces (None: the fake's)
    fail_after: int | None = None  # streamed: drop the connection after this many pieces


def prompt_text(request: RecordedRequest) -> str:
    """The text of every part the client sent, joined: what the model was asked."""
    contents = (request.body or {}).get("contents", [])
    return "".join(part.get("text", "") for content in contents for part in content["parts"])


def model_of(request: RecordedRequest) -> str | None:
    match = _GENERATE_PATH.match(request.path)
    return match.group("model") if match else None


def embedding_model_of(request: RecordedRequest) -> str | None:
    match = _EMBED_PATH.match(request.path)
    return match.group("model") if match else None


def embedded_texts(request: RecordedRequest) -> list[str]:
    """The texts of a batchEmbedContents request, one per embedding asked for."""
    return [
        "".join(part.get("text", "") for part in item["content"]["parts"])
        for item in (request.body or {}).get("requests", [])
    ]


def is_streamed(request: RecordedRequest) -> bool:
    match = _GENERATE_PATH.match(request.path)
    return match is not None and match.group("method") == "streamGenerateContent"


class FakeGemini(FakeHTTPServer[GeminiReply]):
    """A fake Gemini endpoint. ``api_key``, when set, is the only key it accepts."""

    def __init__(
        self,
        responder: Callable[[RecordedRequest], GeminiReply | str] | None = None,
        api_key: str | None = None,
        embedder: Callable[[str, int], list[float]] = hash_embedding,
        token_delay: float = 0.0,
    ) -> None:
        super().__init__(responder)
        self.api_key = api_key
        self.token_delay = token_delay
        # Called with the text and the size asked for (the SDK always asks for one here).
        self.embedder = embedder
        self._embedding_replies: deque[GeminiReply] = deque()
        self._embedding_lock = threading.Lock()

    def queue_embedding(self, **fields: Any) -> None:
        """Script the next batchEmbedContents answer, e.g. ``status=503`` (errors only)."""
        with self._embedding_lock:
            self._embedding_replies.append(GeminiReply(**fields))

    def queue(
        self,
        text: str | None = None,
        *,
        texts: list[str] | None = None,
        headers: dict[str, str] | None = None,
        error_details: list[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> None:
        self.enqueue(
            GeminiReply(
                text=text,
                texts=tuple(texts) if texts is not None else None,
                headers=tuple((headers or {}).items()),
                error_details=tuple(error_details or ()),
                **fields,
            )
        )

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point google-genai (and the helper) at this fake."""
        return {"GOOGLE_GEMINI_BASE_URL": self.url, "GEMINI_API_KEY": self.api_key or FAKE_API_KEY}

    def handles(self, request: RecordedRequest) -> bool:
        return request.method == "POST" and (
            model_of(request) is not None or embedding_model_of(request) is not None
        )

    def _next_reply(self, request: RecordedRequest) -> WireReply:
        if embedding_model_of(request) is None:
            return super()._next_reply(request)
        with self._embedding_lock:
            scripted = self._embedding_replies.popleft() if self._embedding_replies else None
        if self.api_key is not None and request.headers.get("x-goog-api-key") != self.api_key:
            return WireReply(400, _bad_key_body())
        if scripted is not None and scripted.status != 200:
            return WireReply(scripted.status, self._error_body(scripted), dict(scripted.headers))
        embeddings = []
        for item in (request.body or {}).get("requests", []):
            text = "".join(part.get("text", "") for part in item["content"]["parts"])
            # This SDK version puts the size on each request; newer ones nest it in a config.
            size = item.get("outputDimensionality") or (item.get("embedContentConfig") or {}).get(
                "outputDimensionality"
            )
            vector = self.embedder(text, int(size or DEFAULT_DIMENSIONS))
            embeddings.append({"values": vector})
        return WireReply(200, {"embeddings": embeddings})

    def text_reply(self, text: str) -> GeminiReply:
        return GeminiReply(text=text)

    def render(self, reply: GeminiReply, request: RecordedRequest) -> WireReply:
        headers = dict(reply.headers)
        if self.api_key is not None and request.headers.get("x-goog-api-key") != self.api_key:
            return WireReply(400, _bad_key_body(), headers, reply.delay)
        if reply.status != 200:
            return WireReply(reply.status, self._error_body(reply), headers, reply.delay)
        if is_streamed(request):
            return self._stream(reply, request, headers)
        return WireReply(200, self._answer_body(reply, request), headers, reply.delay)

    def _stream(
        self, reply: GeminiReply, request: RecordedRequest, headers: dict[str, str]
    ) -> WireReply:
        """The answer as the service streams it: a chunk per piece, running usage totals, the
        finish reason and full counts on the last chunk."""
        whole = self._answer_body(reply, request)
        text = (reply.texts or (reply.text or "",))[0] if reply.block_reason is None else ""
        pieces = tokens(text) or [""]
        prompt_tokens = whole["usageMetadata"]["promptTokenCount"]
        events: list[dict[str, Any]] = []
        for number, piece in enumerate(pieces, start=1):
            last = number == len(pieces)
            candidate: dict[str, Any] = {
                "content": {"role": "model", "parts": [{"text": piece}] if piece else []},
                "index": 0,
            }
            usage: dict[str, Any] = {"promptTokenCount": prompt_tokens}
            if last:
                candidate["finishReason"] = reply.finish_reason
                usage = whole["usageMetadata"]
            events.append(
                {
                    "candidates": [candidate],
                    "usageMetadata": usage,
                    "modelVersion": model_of(request),
                }
            )
        delay = self.token_delay if reply.token_delay is None else reply.token_delay
        return WireReply(
            200,
            None,
            headers,
            reply.delay,
            events=tuple(events),
            event_delay=delay,
            cut_after=reply.fail_after,
        )

    def _error_body(self, reply: GeminiReply) -> dict[str, Any]:
        details = list(reply.error_details)
        if reply.retry_delay is not None:
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": reply.retry_delay,
                }
            )
        error: dict[str, Any] = {
            "code": reply.status,
            "message": reply.message or f"scripted error {reply.status}",
            "status": _STATUS_NAMES.get(reply.status, "UNKNOWN"),
        }
        if details:
            error["details"] = details
        return {"error": error}

    def _answer_body(self, reply: GeminiReply, request: RecordedRequest) -> dict[str, Any]:
        prompt_tokens = (
            reply.prompt_tokens
            if reply.prompt_tokens is not None
            else len(prompt_text(request).split())
        )
        if reply.block_reason is not None:
            return {
                "promptFeedback": {"blockReason": reply.block_reason},
                "usageMetadata": {"promptTokenCount": prompt_tokens},
            }
        texts = list(reply.texts) if reply.texts is not None else [reply.text or ""]
        candidates = []
        for index, text in enumerate(texts):
            candidate: dict[str, Any] = {"finishReason": reply.finish_reason, "index": index}
            # An empty answer comes back with no parts at all, as the real service sends it.
            candidate["content"] = {"role": "model", "parts": [{"text": text}] if text else []}
            if reply.finish_reason == "SAFETY":
                candidate["safetyRatings"] = [
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}
                ]
            candidates.append(candidate)
        output_tokens = (
            reply.output_tokens
            if reply.output_tokens is not None
            else sum(len(text.split()) for text in texts)
        )
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens + (reply.thinking_tokens or 0),
        }
        if reply.thinking_tokens is not None:
            usage["thoughtsTokenCount"] = reply.thinking_tokens
        return {
            "candidates": candidates,
            "usageMetadata": usage,
            "modelVersion": model_of(request),
        }


def _bad_key_body() -> dict[str, Any]:
    # The real service answers an unknown key with 400, not 401.
    return {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
