"""Model helpers: the seed's public module, so ``from alignment.model_helper import ...`` works.

``ModelHelper`` is the one contract (``predict``); ``GeminiModelHelper`` and
``OpenAICompatibleModelHelper`` are ready-made helpers with timeouts, bounded retries, a cap on
concurrent calls and usage counts; ``model_from_spec`` builds either from a string.
"""

from __future__ import annotations

from alignment._providers.base import ModelHelper, SupportsStructuredOutput, model_identity
from alignment._providers.gemini import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.registry import model_from_spec
from alignment._providers.retry import RetryPolicy
from alignment._providers.service import ServiceModelHelper
from alignment._providers.usage import ModelUsage, UsageSnapshot
from alignment.errors import (
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
