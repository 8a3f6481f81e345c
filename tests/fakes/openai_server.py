"""A local stand-in for an OpenAI-compatible ``/v1/chat/completions`` and ``/v1/embeddings``.

    with FakeOpenAI() as server:
        helper = OpenAICompatibleModelHelper("llama3.1", base_url=server.base_url)
        server.queue("an answer")
        server.queue(texts=["one", "two"])
        server.queue(status=429, headers={"Retry-After": "3"})

A request with ``stream: true`` gets the same answer as server-sent ``chat.completion.chunk``
events, one word-sized piece each, ``token_delay`` seconds apart (the fake's default, or the
reply's own), then the usage chunk when ``stream_options.include_usage`` asks for it, then
``[DONE]``; a reply with ``fail_after=K`` drops the connection after K pieces, mid-answer.

Scripted replies carry exactly the choices given, whatever ``n`` asked for, which is how servers
that ignore ``n`` behave. With an empty queue the ``responder`` answers (a string or an
``OpenAIReply``). Token counts default to word counts.

``/v1/embeddings`` answers from its own queue (``queue_embedding(status=429)``), else with
``embedder(text)`` per input, encoded as the request's ``encoding_format`` asks: the openai SDK
asks for ``base64`` (little-endian float32) unless told otherwise.
"""

from __future__ import annotations

import base64
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.embeddings import Embedder, hash_embedding
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, WireReply, tokens

EMBEDDINGS_PATH = "/v1/embeddings"

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class OpenAIReply:
    text: str | None = None
    texts: tuple[str, ...] | None = None  # several choices
    status: int = 200
    message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    token_delay: float | None = None  # streamed: seconds between pieces (None: the fake's)
    fail_after: int | None = None  # streamed: drop the connection after this many pieces


def prompt_text(request: RecordedRequest) -> str:
    messages = (request.body or {}).get("messages", [])
    return "".join(str(message.get("content", "")) for message in messages)


def embedded_texts(request: RecordedRequest) -> list[str]:
    """The inputs of an embeddings request, as a list even when one string was sent."""
    given = (request.body or {}).get("input", [])
    return [given] if isinstance(given, str) else [str(text) for text in given]


class FakeOpenAI(FakeHTTPServer[OpenAIReply]):
    def __init__(
        self,
        responder: Callable[[RecordedRequest], OpenAIReply | str] | None = None,
        embedder: Embedder = hash_embedding,
        token_delay: float = 0.0,
    ) -> None:
        super().__init__(responder)
        self.embedder = embedder
        self.token_delay = token_delay
        self._embedding_replies: deque[OpenAIReply] = deque()
        self._embedding_lock = threading.Lock()

    def queue_embedding(self, **fields: Any) -> None:
        """Script the next ``/v1/embeddings`` answer, e.g. ``status=429`` (errors only)."""
        with self._embedding_lock:
            self._embedding_replies.append(OpenAIReply(**fields))

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL would be set to for this server."""
        return f"{self.url}/v1"

    def queue(
        self,
        text: str | None = None,
        *,
        texts: list[str] | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        self.enqueue(
            OpenAIReply(
                text=text,
                texts=tuple(texts) if texts is not None else None,
                headers=tuple((headers or {}).items()),
                **fields,
            )
        )

    def handles(self, request: RecordedRequest) -> bool:
        return request.method == "POST" and request.path in (
            "/v1/chat/completions",
            EMBEDDINGS_PATH,
        )

    def _next_reply(self, request: RecordedRequest) -> WireReply:
        if request.path != EMBEDDINGS_PATH:
            return super()._next_reply(request)
        with self._embedding_lock:
            scripted = self._embedding_replies.popleft() if self._embedding_replies else None
        if scripted is not None and scripted.status != 200:
            return self.render(scripted, request)
        texts = embedded_texts(request)
        as_base64 = (request.body or {}).get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector = self.embedder(text)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(text.split()) for text in texts)
        body = {
            "object": "list",
            "data": data,
            "model": (request.body or {}).get("model"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return WireReply(200, body)

    def text_reply(self, text: str) -> OpenAIReply:
        return OpenAIReply(text=text)

    def render(self, reply: OpenAIReply, request: RecordedRequest) -> WireReply:
        headers = dict(reply.headers)
        if reply.status != 200:
            kind, code = _ERROR_TYPES.get(reply.status, ("server_error", None))
            error_body: dict[str, Any] = {
                "error": {
                    "message": reply.message or f"scripted error {reply.status}",
                    "type": kind,
                    "param": None,
                    "code": code,
                }
            }
            return WireReply(reply.status, error_body, headers, reply.delay)
        texts = list(reply.texts) if reply.texts is not None else [reply.text or ""]
        prompt_tokens = (
            reply.prompt_tokens
            if reply.prompt_tokens is not None
            else len(prompt_text(request).split())
        )
        output_tokens = (
            reply.output_tokens
            if reply.output_tokens is not None
            else sum(len(text.split()) for text in texts)
        )
        if (request.body or {}).get("stream"):
            return self._stream(reply, request, texts[0], prompt_tokens, output_tokens, headers)
        body: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": (request.body or {}).get("model"),
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": reply.finish_reason,
                }
                for index, text in enumerate(texts)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": prompt_tokens + output_tokens,
            },
        }
        return WireReply(200, body, headers, reply.delay)

    def _stream(
        self,
        reply: OpenAIReply,
        request: RecordedRequest,
        text: str,
        prompt_tokens: int,
        output_tokens: int,
        headers: dict[str, str],
    ) -> WireReply:
        body = request.body or {}

        def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
            return {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body.get("model"),
                "choices": choices,
                **extra,
            }

        events: list[Any] = [
            chunk([{"index": 0, "delta": {"role": "assistant", "content": piece}}])
            for piece in tokens(text)
        ]
        events.append(chunk([{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": prompt_tokens + output_tokens,
            }
            events.append(chunk([], usage=usage))
        events.append("[DONE]")
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
