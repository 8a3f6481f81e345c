"""A local stand-in for an OpenAI-compatible ``/v1/chat/completions`` endpoint.

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, WireReply, tokens

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


class FakeOpenAI(FakeHTTPServer[OpenAIReply]):
    def __init__(
        self,
        responder: Callable[[RecordedRequest], OpenAIReply | str] | None = None,
        token_delay: float = 0.0,
    ) -> None:
        super().__init__(responder)
        self.token_delay = token_delay

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
        return request.method == "POST" and request.path == "/v1/chat/completions"

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
