"""Build a model helper from one string: ``"gemini:gemini-2.5-flash"``, ``"openai:llama3.1"``.

One string is easy to put in an environment variable, a settings file or a slash command.
"""

from __future__ import annotations

from typing import Any

from alignment._providers.gemini import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.service import ServiceModelHelper
from alignment.errors import ModelSpecError

VALID_FORMS = (
    "'gemini' (the default Gemini model)",
    "'gemini:<model>' e.g. 'gemini:gemini-2.5-flash'",
    "'openai:<model>' e.g. 'openai:gpt-4o-mini', or 'openai:llama3.1' with OPENAI_BASE_URL "
    "pointing at a local server such as Ollama",
)


def model_from_spec(spec: str, **options: Any) -> ServiceModelHelper:
    """Return the helper ``spec`` names; ``options`` go to its constructor (timeout, retry, ...)."""
    provider, _, model = spec.strip().partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if provider == "gemini":
        return GeminiModelHelper(model_name=model or DEFAULT_GEMINI_MODEL, **options)
    if provider == "openai" and model:
        return OpenAICompatibleModelHelper(model_name=model, **options)
    raise ModelSpecError(
        f"Cannot read model spec {spec!r}. Valid forms: " + "; ".join(VALID_FORMS) + "."
    )
