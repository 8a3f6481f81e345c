"""Translate google-genai failures into ``ModelError`` subclasses whose messages name the fix."""

from __future__ import annotations

from typing import Any

from google.genai import errors as genai_errors

from alignment._providers.retry import parse_duration, parse_retry_after
from alignment.errors import (
    ModelAuthError,
    ModelError,
    ModelNotFoundError,
    ModelRequestError,
    ModelTransientError,
)

API_KEY_HELP = (
    "set GEMINI_API_KEY (or GOOGLE_API_KEY) to a valid key, or pass api_key=...; "
    "keys are issued at https://aistudio.google.com/apikey"
)
MODEL_LIST_HELP = (
    "choose a model name the Gemini API lists (see https://ai.google.dev/gemini-api/docs/models, "
    "or call client.models.list()), e.g. 'gemini-2.5-flash'"
)


# 408 is the server giving up on a slow request: the same situation as our own timeout.
_RETRYABLE_CLIENT_CODES = frozenset({408, 429})


def translate_api_error(error: genai_errors.APIError, model_name: str) -> ModelError:
    """Map an HTTP error from the Gemini API to the error the helper raises (or retries)."""
    code = error.code or 0
    reason = f"{code} {error.status or ''}: {error.message or error.details}".strip()
    if code in _RETRYABLE_CLIENT_CODES or code >= 500:
        return ModelTransientError(f"Gemini returned {reason}", retry_after=_retry_hint(error))
    if code in (401, 403) or (code == 400 and _is_bad_api_key(error)):
        return ModelAuthError(f"Gemini rejected the API key ({reason}); {API_KEY_HELP}")
    if code == 404:
        return ModelNotFoundError(
            f"Gemini does not know model {model_name!r} ({reason}); {MODEL_LIST_HELP}"
        )
    return ModelRequestError(
        f"Gemini refused the request ({reason}); check the prompt size and the generation "
        "options (temperature, max_output_tokens, stop sequences, thinking_budget)"
    )


def _error_details(error: genai_errors.APIError) -> list[dict[str, Any]]:
    body = error.details if isinstance(error.details, dict) else {}
    inner = body.get("error", body)
    details = inner.get("details") if isinstance(inner, dict) else None
    return [item for item in details or [] if isinstance(item, dict)]


def _is_bad_api_key(error: genai_errors.APIError) -> bool:
    # The Gemini API answers a wrong key with 400 INVALID_ARGUMENT, not 401.
    if any(item.get("reason") == "API_KEY_INVALID" for item in _error_details(error)):
        return True
    return "api key" in (error.message or "").lower()


def _retry_hint(error: genai_errors.APIError) -> float | None:
    """The server's own wait hint: RetryInfo.retryDelay in the body, else Retry-After."""
    for item in _error_details(error):
        if str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = parse_duration(item.get("retryDelay"))
            if delay is not None:
                return delay
    headers = getattr(error.response, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers.get("retry-after"))
