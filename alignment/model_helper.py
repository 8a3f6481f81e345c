"""Model helpers: the seed's public module, so ``from alignment.model_helper import ...`` works.

``ModelHelper`` is the one contract (``predict``); ``GeminiModelHelper`` and
``OpenAICompatibleModelHelper`` are ready-made helpers with timeouts, bounded retries, a cap on
concurrent calls and usage counts; ``model_from_spec`` builds either from a string.
"""

from __future__ import annotations

from alignment.gemini_helper import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment.model_base import ModelHelper, SupportsStructuredOutput, model_identity
from alignment.model_errors import (
    ModelAuthError,
    ModelConfigError,
    ModelError,
    ModelNotFoundError,
    ModelRequestError,
    ModelResponseError,
    ModelSpecError,
    ModelTransientError,
    ModelUnavailableError,
)
from alignment.model_retry import RetryPolicy
from alignment.model_service import ServiceModelHelper
from alignment.model_spec import model_from_spec
from alignment.model_usage import ModelUsage, UsageSnapshot
from alignment.openai_helper import OpenAICompatibleModelHelper

__all__ = [
    "DEFAULT_GEMINI_MODEL",
    "GeminiModelHelper",
    "ModelAuthError",
    "ModelConfigError",
    "ModelError",
    "ModelHelper",
    "ModelNotFoundError",
    "ModelRequestError",
    "ModelResponseError",
    "ModelSpecError",
    "ModelTransientError",
    "ModelUnavailableError",
    "ModelUsage",
    "OpenAICompatibleModelHelper",
    "RetryPolicy",
    "ServiceModelHelper",
    "SupportsStructuredOutput",
    "UsageSnapshot",
    "model_from_spec",
    "model_identity",
]
