"""A model helper for Google's Gemini API, built on the ``google-genai`` SDK."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, cast

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from alignment._providers.gemini_errors import API_KEY_HELP, translate_api_error
from alignment._providers.retry import RetryPolicy
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
from alignment.errors import ModelConfigError, ModelResponseError, ModelTransientError

logger = logging.getLogger(__name__)

DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"
DEFAULT_GEMINI_EMBEDDING_MODEL = "gemini-embedding-001"
# Shorter vectors than the model's 3,072 keep stored centroids small; the model is trained so
# that its leading dimensions stand on their own.
DEFAULT_GEMINI_EMBEDDING_DIMENSIONS = 768
# The Gemini API takes at most this many texts per batchEmbedContents request.
GEMINI_EMBEDDING_BATCH = 100
API_KEY_ENV_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
BASE_URL_ENV_VAR = "GOOGLE_GEMINI_BASE_URL"

# The harm categories the Gemini API accepts (the image ones are Vertex-only and are refused).
SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
# Finish reasons that mean a filter removed the answer, as opposed to a length limit.
_BLOCKED_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE"}
)

SchemaStyle = Literal["json_schema", "openapi"]

# Model names Google has shut down. Notebooks and scripts written for the seed library name
# "gemini-pro" (its default); the API now answers those names with 404, so they are mapped to a
# current model, with a warning, rather than failing every call.
_RETIRED_GEMINI_MODELS = re.compile(r"gemini-pro(?:-vision)?|gemini-1\.[05]-(?:pro|flash)\S*")


def current_model_name(model_name: str) -> str:
    """``model_name``, or its current replacement when Google has retired it."""
    bare = model_name.removeprefix("models/")
    if _RETIRED_GEMINI_MODELS.fullmatch(bare) is None:
        return model_name
    # 1.5 Pro was the top tier; 1.0 Pro ("gemini-pro") and the Flash models map to Flash.
    replacement = "gemini-2.5-pro" if bare.startswith("gemini-1.5-pro") else DEFAULT_GEMINI_MODEL
    logger.warning(
        "Gemini model %r has been retired by Google; using %r instead. Pass a current model "
        "name to choose another.",
        model_name,
        replacement,
    )
    return replacement


def default_thinking(model_name: str) -> types.ThinkingConfig | None:
    """The least thinking a model allows: alignment prompts are short and need quick answers.

    2.5 Flash models can switch thinking off; 2.5 Pro cannot go below 128 tokens; Gemini 3
    models take a level instead of a budget. Older models do not think and get no setting.
    """
    name = model_name.removeprefix("models/").lower()
    if name.startswith("gemini-2.5"):
        return types.ThinkingConfig(thinking_budget=128 if "pro" in name else 0)
    if name.startswith("gemini-3"):
        level = types.ThinkingLevel.MINIMAL if "flash" in name else types.ThinkingLevel.LOW
        return types.ThinkingConfig(thinking_level=level)
    return None


def resolve_api_key(api_key: str | None) -> str:
    if api_key:
        return api_key
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    raise ModelConfigError(f"No Gemini API key found: {API_KEY_HELP}")


class GeminiModelHelper(ServiceModelHelper):
    """Gemini through ``google-genai``, with timeouts, bounded retries and usage counts.

    ``api_key`` defaults to GEMINI_API_KEY, then GOOGLE_API_KEY; the endpoint to
    GOOGLE_GEMINI_BASE_URL when set. ``thinking_budget`` (tokens; -1 lets the model decide) and
    ``thinking_level`` override the minimal default. Safety filters are off (``BLOCK_NONE``) for
    every category unless ``safety_threshold`` or per-category ``safety_settings`` say otherwise,
    because feedback and training data often quote the very text a filter would block.
    ``embed`` uses ``embedding_model`` with vectors of ``embedding_dimensions`` numbers.
    """

    embedding_batch_size = GEMINI_EMBEDDING_BATCH

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = DEFAULT_GEMINI_MODEL,
        *,
        base_url: str | None = None,
        thinking_budget: int | None = None,
        thinking_level: str | None = None,
        safety_threshold: str = "BLOCK_NONE",
        safety_settings: Mapping[str, str] | None = None,
        schema_style: SchemaStyle = "json_schema",
        embedding_model: str = DEFAULT_GEMINI_EMBEDDING_MODEL,
        embedding_dimensions: int | None = DEFAULT_GEMINI_EMBEDDING_DIMENSIONS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
    ) -> None:
        super().__init__(
            current_model_name(model_name),
            timeout=timeout,
            retry=retry,
            max_concurrent_calls=max_concurrent_calls,
        )
        self.base_url = base_url or os.environ.get(BASE_URL_ENV_VAR) or None
        self.schema_style = schema_style
        self.embedding_model = embedding_model
        self.embedding_dimensions = embedding_dimensions
        self.thinking = self._thinking_config(thinking_budget, thinking_level)
        thresholds = dict.fromkeys(SAFETY_CATEGORIES, safety_threshold)
        thresholds.update(safety_settings or {})
        self.safety_settings = [
            types.SafetySetting(
                category=types.HarmCategory(category), threshold=types.HarmBlockThreshold(level)
            )
            for category, level in thresholds.items()
        ]
        self._client = genai.Client(
            api_key=resolve_api_key(api_key),
            vertexai=False,
            http_options=types.HttpOptions(
                base_url=self.base_url,
                timeout=max(1, round(timeout * 1000)),
                # One attempt per SDK call: our retry loop is the only one, so its bound holds.
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    def _thinking_config(
        self, budget: int | None, level: str | None
    ) -> types.ThinkingConfig | None:
        if budget is not None or level is not None:
            return types.ThinkingConfig(
                thinking_budget=budget,
                thinking_level=types.ThinkingLevel(level.upper()) if level else None,
            )
        return default_thinking(self.model_name)

    def _describe(self) -> str:
        return f"Gemini model {self.model_name!r} at {self.base_url or 'the Gemini API'}"

    def _config(self, request: ModelRequest) -> types.GenerateContentConfig:
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "candidate_count": request.candidate_count,
            "stop_sequences": request.stop_sequences,
            "max_output_tokens": request.max_output_tokens,
            "safety_settings": self.safety_settings,
            "thinking_config": self.thinking,
            "automatic_function_calling": types.AutomaticFunctionCallingConfig(disable=True),
        }
        if request.json_schema is not None:
            options["response_mime_type"] = "application/json"
            key = (
                "response_json_schema" if self.schema_style == "json_schema" else "response_schema"
            )
            options[key] = request.json_schema
        return types.GenerateContentConfig(**options)

    @contextmanager
    def _translated_errors(self, model: str | None = None) -> Iterator[None]:
        """Turn the SDK's and the transport's failures into ``ModelError`` subclasses."""
        model = model or self.model_name
        try:
            yield
        except genai_errors.APIError as error:
            raise translate_api_error(error, model) from error
        except TRANSPORT_TIMEOUTS as error:
            raise ModelTransientError(
                f"{self._describe()} did not answer within {self.timeout:g}s"
            ) from error
        except TRANSPORT_FAILURES as error:
            raise ModelTransientError(f"could not reach {self._describe()}: {error!r}") from error
        except genai_errors.UnknownApiResponseError as error:
            raise ModelResponseError(f"{self._describe()} sent an unreadable answer") from error

    def _send(self, request: ModelRequest) -> ModelReply:
        with self._translated_errors():
            response = self._client.models.generate_content(
                model=self.model_name, contents=request.prompt, config=self._config(request)
            )
        return self._reply(response, request)

    def _send_embedding(self, texts: list[str]) -> EmbeddingReply:
        # google-genai sends a list of texts to the Gemini API as one batchEmbedContents request.
        with self._translated_errors(self.embedding_model):
            response = self._client.models.embed_content(
                model=self.embedding_model,
                contents=cast(Any, texts),
                config=types.EmbedContentConfig(output_dimensionality=self.embedding_dimensions),
            )
        vectors = [list(embedding.values or []) for embedding in response.embeddings or []]
        return EmbeddingReply(vectors=vectors)

    def _open_stream(self, request: ModelRequest) -> Iterator[StreamPiece]:
        with self._translated_errors():
            chunks = self._client.models.generate_content_stream(
                model=self.model_name, contents=request.prompt, config=self._config(request)
            )
            for chunk in chunks:
                yield _piece(chunk)

    def _reply(self, response: types.GenerateContentResponse, request: ModelRequest) -> ModelReply:
        usage = response.usage_metadata
        counts = {
            "prompt_tokens": (usage.prompt_token_count or 0) if usage else 0,
            "output_tokens": (usage.candidates_token_count or 0) if usage else 0,
            "thinking_tokens": (usage.thoughts_token_count or 0) if usage else 0,
        }
        candidates = response.candidates or []
        if not candidates:
            feedback = response.prompt_feedback
            block_reason = feedback.block_reason if feedback else None
            if block_reason is None:
                return ModelReply(texts=[], **counts)
            logger.warning(
                "Gemini refused the prompt itself (block_reason=%s%s); returning an empty "
                "answer. Loosen safety_threshold or reword the prompt if this is wrong.",
                _name(block_reason),
                f": {feedback.block_reason_message}"
                if feedback and feedback.block_reason_message
                else "",
            )
            return ModelReply(texts=[""] * request.candidate_count, **counts)
        texts = [self._candidate_text(candidate, request, counts) for candidate in candidates]
        return ModelReply(texts=texts, **counts)

    def _candidate_text(
        self, candidate: types.Candidate, request: ModelRequest, counts: Mapping[str, int]
    ) -> str:
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        text = "".join(part.text for part in parts if part.text and not part.thought)
        if text:
            return text
        reason = _name(candidate.finish_reason)
        if reason == "MAX_TOKENS":
            logger.warning(
                "Gemini answer is empty: it hit the output token limit (max_output_tokens=%s, "
                "thinking tokens used=%s). Raise max_output_tokens or lower thinking_budget.",
                request.max_output_tokens,
                counts["thinking_tokens"],
            )
        elif reason in _BLOCKED_FINISH_REASONS:
            flagged = [
                _name(rating.category)
                for rating in candidate.safety_ratings or []
                if rating.blocked or _name(rating.probability) in ("MEDIUM", "HIGH")
            ]
            logger.warning(
                "Gemini answer is empty: a content filter withheld it (finish_reason=%s, "
                "flagged categories=%s). Loosen safety_threshold if this is a false alarm.",
                reason,
                ", ".join(flagged) or "none reported",
            )
        else:
            logger.warning("Gemini answer is empty (finish_reason=%s).", reason)
        return ""


def _name(value: object) -> str:
    """An enum's name, or the raw string an SDK passes through when it meets a new value."""
    return str(getattr(value, "value", value))


def _piece(chunk: types.GenerateContentResponse) -> StreamPiece:
    """The new text of a streamed chunk (first candidate, thoughts left out) and its totals."""
    candidates = chunk.candidates or []
    content = candidates[0].content if candidates else None
    parts = content.parts if content and content.parts else []
    usage = chunk.usage_metadata
    return StreamPiece(
        text="".join(part.text for part in parts if part.text and not part.thought),
        prompt_tokens=usage.prompt_token_count if usage else None,
        output_tokens=usage.candidates_token_count if usage else None,
        thinking_tokens=usage.thoughts_token_count if usage else None,
    )
