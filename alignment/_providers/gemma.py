"""Gemma, the open-weights model, served locally by Ollama, vLLM or llama.cpp's server.

The seed library loaded Gemma in-process through Keras; a local server that speaks the
OpenAI chat-completions API does the same job without a deep-learning stack in this process,
and lets several workers share one loaded model.
"""

from __future__ import annotations

import logging
import os
import re

from alignment._providers.openai_compatible import (
    BASE_URL_ENV_VAR,
    LOCAL_SERVER_KEY,
    MaxTokensParam,
    OpenAICompatibleModelHelper,
)
from alignment._providers.retry import RetryPolicy
from alignment._providers.service import DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

OLLAMA_BASE_URL = "http://localhost:11434/v1"
# The seed's default, a Keras preset name; it is served by Ollama as "gemma2:2b".
SEED_DEFAULT_GEMMA = "gemma2_instruct_2b_en"

# Keras presets look like "gemma2_instruct_2b_en" or "gemma_1.1_instruct_7b_en"; Ollama names
# the same weights "<family>:<size>", e.g. "gemma2:2b". Other names (Ollama tags, Hugging Face
# ids for vLLM) are passed to the server as they are.
_KERAS_PRESET = re.compile(
    r"^(?P<family>gemma\d*)(?:_[\d.]+)?_instruct_(?P<size>\d+b)(?:_en)?$", re.IGNORECASE
)


def server_model_name(model_name: str) -> str:
    """The name a local server knows for ``model_name``; Keras preset names are translated."""
    match = _KERAS_PRESET.match(model_name.strip())
    if match is None:
        return model_name.strip()
    return f"{match['family'].lower()}:{match['size'].lower()}"


class GemmaModelHelper(OpenAICompatibleModelHelper):
    """Gemma through a local OpenAI-compatible server, constructed as in the seed library.

    ``base_url`` defaults to OPENAI_BASE_URL, then to Ollama on this machine. Local servers take
    any key, so ``api_key`` is only needed for a server started with one (vLLM ``--api-key``);
    OPENAI_API_KEY is deliberately not read, so an OpenAI key is never sent to another server.
    """

    def __init__(
        self,
        model_name: str = SEED_DEFAULT_GEMMA,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        max_tokens_param: MaxTokensParam | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
    ) -> None:
        served = server_model_name(model_name)
        if served != model_name:
            logger.warning(
                "Gemma model %r is a Keras preset name; asking the server for %r instead.",
                model_name,
                served,
            )
        super().__init__(
            served,
            api_key=api_key or LOCAL_SERVER_KEY,
            base_url=base_url or os.environ.get(BASE_URL_ENV_VAR) or OLLAMA_BASE_URL,
            max_tokens_param=max_tokens_param,
            timeout=timeout,
            retry=retry,
            max_concurrent_calls=max_concurrent_calls,
        )
