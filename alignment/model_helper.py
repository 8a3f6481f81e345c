"""Model helpers: the seed's public module, so ``from alignment.model_helper import ...`` works.

``ModelHelper`` is the one contract (``predict``); ``GeminiModelHelper``,
``OpenAICompatibleModelHelper`` and ``GemmaModelHelper`` (Gemma on a local server) are ready-made
helpers with timeouts, bounded retries, a cap on concurrent calls and usage counts; they also
``embed`` texts (``SupportsEmbedding``) through the same retries, limits and counts, and stream
(``predict_stream``, the ``SupportsStreaming`` protocol) beside the seed's blocking call.
``model_from_spec`` builds one from a string such as ``"gemini:gemini-2.5-flash"``; ``PROVIDERS``,
``parse_spec`` and ``spec_problem`` let an application check specs and learn which settings
(key and base-URL variables) each provider reads.
"""

from __future__ import annotations

from alignment._providers.base import (
    ModelHelper,
    SupportsEmbedding,
    SupportsStreaming,
    SupportsStructuredOutput,
    model_identity,
)
from alignment._providers.gate import RequestGate
from alignment._providers.gemini import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment._providers.gemma import OLLAMA_BASE_URL, GemmaModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.registry import (
    PROVIDERS,
    VALID_FORMS,
    ModelSpec,
    Provider,
    model_from_spec,
    parse_spec,
    spec_problem,
)
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
    ModelStreamError,
    ModelTransientError,
    ModelUnavailableError,
)

__all__ = [
    "DEFAULT_GEMINI_MODEL",
    "OLLAMA_BASE_URL",
    "PROVIDERS",
    "VALID_FORMS",
    "GeminiModelHelper",
    "GemmaModelHelper",
    "ModelAuthError",
    "ModelConfigError",
    "ModelError",
    "ModelHelper",
    "ModelNotFoundError",
    "ModelRequestError",
    "ModelResponseError",
    "ModelSpec",
    "ModelSpecError",
    "ModelStreamError",
    "ModelTransientError",
    "ModelUnavailableError",
    "ModelUsage",
    "OpenAICompatibleModelHelper",
    "Provider",
    "RequestGate",
    "RetryPolicy",
    "ServiceModelHelper",
    "SupportsEmbedding",
    "SupportsStreaming",
    "SupportsStructuredOutput",
    "UsageSnapshot",
    "model_from_spec",
    "model_identity",
    "parse_spec",
    "spec_problem",
]
