"""A model helper for OpenAI and servers that speak its chat-completions API (Ollama, vLLM, ...)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from alignment._providers.retry import RetryPolicy, parse_retry_after
from alignment._providers.service import (
    DEFAULT_MAX_CONCURRENT_CALLS,
    DEFAULT_TIMEOUT_SECONDS,
    EmbeddingReply,
    ModelReply,
    ModelRequest,
    ServiceModelHelper,
)
from alignment._providers.streaming import StreamPiece
from alignment._providers.transport import TRANSPORT_FAILURES, TRANSPORT_TIMEOUTS
from alignment.errors import (
    ModelAuthError,
    ModelConfigError,
    ModelError,
    ModelNotFoundError,
    ModelRequestError,
    ModelResponseError,
    ModelTransientError,
)

logger = logging.getLogger(__name__)

API_KEY_ENV_VAR = "OPENAI_API_KEY"
BASE_URL_ENV_VAR = "OPENAI_BASE_URL"
# Local servers (Ollama, llama.cpp, vLLM without --api-key) accept any key, but the SDK wants one.
LOCAL_SERVER_KEY = "not-needed"
OPENAI_HOST = "api.openai.com"
OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"
# OpenAI takes up to 2,048 inputs per request; local servers are happier with fewer.
OPENAI_EMBEDDING_BATCH = 256

# A streamed answer is read straight off the connection, so the transport's own failures can
# surface while reading, beside the SDK's wrapped ones.
_TIMEOUTS: tuple[type[Exception], ...] = (openai.APITimeoutError, *TRANSPORT_TIMEOUTS)
_CONNECTION_FAILURES: tuple[type[Exception], ...] = (
    openai.APIConnectionError,
    *TRANSPORT_FAILURES,
)

MaxTokensParam = Literal["max_tokens", "max_completion_tokens"]


class OpenAICompatibleModelHelper(ServiceModelHelper):
    """Any chat-completions endpoint, with timeouts, bounded retries and usage counts.

    ``base_url`` defaults to OPENAI_BASE_URL, then OpenAI itself; ``api_key`` to OPENAI_API_KEY,
    and may be left out for a local server. OpenAI's own service only takes
    ``max_completion_tokens`` for newer models while many local servers only read ``max_tokens``,
    so the default follows the endpoint; ``max_tokens_param`` overrides it. ``embed`` asks
    ``embedding_model``: by default text-embedding-3-small on OpenAI, and on any other server the
    chat model itself (Ollama embeds with it; name an embedding model the server has otherwise).
    """

    embedding_batch_size = OPENAI_EMBEDDING_BATCH

    def __init__(
        self,
        model_name: str,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_tokens_param: MaxTokensParam | None = None,
        strict_schema: bool = False,
        embedding_model: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
    ) -> None:
        super().__init__(
            model_name, timeout=timeout, retry=retry, max_concurrent_calls=max_concurrent_calls
        )
        self.base_url = base_url or os.environ.get(BASE_URL_ENV_VAR) or None
        key = api_key or os.environ.get(API_KEY_ENV_VAR)
        if not key:
            if self.base_url is None:
                raise ModelConfigError(
                    f"No OpenAI API key found: set {API_KEY_ENV_VAR} or pass api_key=... (keys are "
                    "issued at https://platform.openai.com/api-keys); for a local server such as "
                    f"Ollama set {BASE_URL_ENV_VAR} (e.g. http://localhost:11434/v1) instead."
                )
            key = LOCAL_SERVER_KEY
        self.max_tokens_param: MaxTokensParam = max_tokens_param or (
            "max_completion_tokens" if _is_openai_itself(self.base_url) else "max_tokens"
        )
        self.strict_schema = strict_schema
        self.embedding_model = embedding_model or (
            OPENAI_EMBEDDING_MODEL if _is_openai_itself(self.base_url) else self.model_name
        )
        # max_retries=0: our retry loop is the only one, so its bound holds.
        self._client = openai.OpenAI(
            api_key=key, base_url=self.base_url, timeout=timeout, max_retries=0
        )

    def _describe(self) -> str:
        return f"model {self.model_name!r} at {self.base_url or 'the OpenAI API'}"

    def _arguments(self, request: ModelRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model_name,
            "messages": [{"role": "user", "content": request.prompt}],
            "temperature": request.temperature,
        }
        if request.candidate_count > 1:
            arguments["n"] = request.candidate_count
        if request.stop_sequences:
            arguments["stop"] = request.stop_sequences
        if request.max_output_tokens is not None:
            arguments[self.max_tokens_param] = request.max_output_tokens
        if request.json_schema is not None:
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": "answer",
                    "schema": request.json_schema,
                    "strict": self.strict_schema,
                },
            }
        return arguments

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Turn the SDK's and the transport's failures into ``ModelError`` subclasses."""
        try:
            yield
        except _TIMEOUTS as error:
            raise ModelTransientError(
                f"{self._describe()} did not answer within {self.timeout:g}s"
            ) from error
        except _CONNECTION_FAILURES as error:
            raise ModelTransientError(f"could not reach {self._describe()}: {error}") from error
        except openai.APIStatusError as error:
            raise self._translate(error) from error
        except openai.APIResponseValidationError as error:
            raise ModelResponseError(f"{self._describe()} sent an unreadable answer") from error
        except openai.APIError as error:
            # An error event inside a streamed answer: the server gave up while writing.
            raise ModelTransientError(f"{self._describe()} reported: {error.message}") from error

    def _send(self, request: ModelRequest) -> ModelReply:
        with self._translated_errors():
            completion = self._client.chat.completions.create(**self._arguments(request))
        return self._reply(completion, request)

    def _send_embedding(self, texts: list[str]) -> EmbeddingReply:
        # POST <base_url>/embeddings; the SDK asks for base64 and decodes it into floats.
        try:
            with self._translated_errors():
                response = self._client.embeddings.create(model=self.embedding_model, input=texts)
        except ValueError as error:  # the SDK's own check: a reply without embeddings
            raise ModelResponseError(
                f"{self._describe()} sent no embeddings; check that {self.embedding_model!r} "
                "can embed text on this server"
            ) from error
        ordered = sorted(response.data or [], key=lambda item: item.index)
        usage = response.usage
        return EmbeddingReply(
            vectors=[[float(value) for value in item.embedding] for item in ordered],
            prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        )

    def _open_stream(self, request: ModelRequest) -> Iterator[StreamPiece]:
        with self._translated_errors():
            # include_usage: the last chunk carries the token counts (servers that do not know
            # the option ignore it and report nothing).
            chunks = self._client.chat.completions.create(
                **self._arguments(request), stream=True, stream_options={"include_usage": True}
            )
            with chunks:
                for chunk in chunks:
                    yield _piece(chunk)

    def _translate(self, error: openai.APIStatusError) -> ModelError:
        code = error.status_code
        reason = f"{code}: {error.message}"
        if code in (408, 429) or code >= 500:
            headers = error.response.headers
            hint = _retry_after_ms(headers.get("retry-after-ms"))
            if hint is None:
                hint = parse_retry_after(headers.get("retry-after"))
            return ModelTransientError(f"{self._describe()} returned {reason}", retry_after=hint)
        if code in (401, 403):
            return ModelAuthError(
                f"{self._describe()} rejected the API key ({reason}); check {API_KEY_ENV_VAR} "
                "or the api_key argument (local servers accept any non-empty key)"
            )
        if code == 404:
            return ModelNotFoundError(
                f"{self._describe()} does not know this model ({reason}); choose one the server "
                "lists at GET <base_url>/models (for Ollama: `ollama list`, or `ollama pull "
                f"{self.model_name}` first), and check that the base URL ends in /v1"
            )
        return ModelRequestError(
            f"{self._describe()} refused the request ({reason}); check the prompt size and the "
            "generation options (temperature, max tokens, stop sequences, JSON schema)"
        )

    def _reply(self, completion: ChatCompletion, request: ModelRequest) -> ModelReply:
        usage = completion.usage
        texts = []
        for choice in sorted(completion.choices or [], key=lambda choice: choice.index):
            text = (choice.message.content if choice.message else None) or ""
            if not text:
                self._log_empty(choice.finish_reason, request)
            texts.append(text)
        return ModelReply(
            texts=texts,
            prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
        )

    def _log_empty(self, finish_reason: str | None, request: ModelRequest) -> None:
        if finish_reason == "length":
            logger.warning(
                "%s gave an empty answer: it hit the output token limit (%s=%s). "
                "Raise max_output_tokens.",
                self._describe(),
                self.max_tokens_param,
                request.max_output_tokens,
            )
        elif finish_reason == "content_filter":
            logger.warning(
                "%s gave an empty answer: a content filter withheld it.", self._describe()
            )
        else:
            logger.warning(
                "%s gave an empty answer (finish_reason=%s).", self._describe(), finish_reason
            )


def _is_openai_itself(base_url: str | None) -> bool:
    return base_url is None or urlsplit(base_url).hostname == OPENAI_HOST


def _retry_after_ms(value: str | None) -> float | None:
    seconds = parse_retry_after(value)
    return None if seconds is None else seconds / 1000


def _piece(chunk: ChatCompletionChunk) -> StreamPiece:
    """The new text of a streamed chunk (first choice) and, in the last one, the token counts."""
    delta = chunk.choices[0].delta if chunk.choices else None
    usage = chunk.usage
    return StreamPiece(
        text=(delta.content if delta else None) or "",
        prompt_tokens=usage.prompt_tokens if usage else None,
        output_tokens=usage.completion_tokens if usage else None,
    )
