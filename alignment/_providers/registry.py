"""The model providers, and the one grammar for naming a model: ``"<provider>:<model name>"``.

One string such as ``"gemini:gemini-2.5-flash"`` or ``"openai:llama3.1"`` is easy to put in an
environment variable, a settings file or a slash command. Each provider entry says which
settings it reads (its key's and its base URL's variable names) and how to build its helper, so
an application (the Slack bot, the CLI) checks and builds models from this table alone, and a
new provider is one helper module plus one entry in ``PROVIDERS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from alignment._providers.gemini import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.service import ServiceModelHelper
from alignment.errors import ModelSpecError


class HelperFactory(Protocol):
    def __call__(
        self, model_name: str, api_key: str | None, base_url: str | None, **options: Any
    ) -> ServiceModelHelper: ...


@dataclass(frozen=True)
class Provider:
    """A model service: how specs name it, which settings it reads, and how its helper is built.

    ``default_model`` is used for a spec without a model name (``"gemini"``); None means the
    spec must name one. ``key_optional_with_base_url`` is for APIs that local servers speak too:
    those need only a base URL, no key.
    """

    name: str
    # How messages name one of its models, article included: "an OpenAI model".
    a_model: str
    key_variable: str
    base_url_variable: str
    forms: tuple[str, ...]
    build: HelperFactory
    default_model: str | None = None
    key_optional_with_base_url: bool = False

    def settings_problem(self, settings: Mapping[str, str | None]) -> str | None:
        """What is missing from ``settings`` (variable name to value) to call this provider.

        The answer belongs to the variable named by ``key_variable``; None when nothing is.
        """
        if settings.get(self.key_variable):
            return None
        if not self.key_optional_with_base_url:
            return f"missing ({self.a_model} is configured)"
        if settings.get(self.base_url_variable):
            return None
        return f"missing ({self.a_model} is configured without a base URL)"


def _gemini(
    model_name: str, api_key: str | None, base_url: str | None, **options: Any
) -> ServiceModelHelper:
    return GeminiModelHelper(api_key=api_key, model_name=model_name, base_url=base_url, **options)


def _openai(
    model_name: str, api_key: str | None, base_url: str | None, **options: Any
) -> ServiceModelHelper:
    return OpenAICompatibleModelHelper(model_name, api_key=api_key, base_url=base_url, **options)


PROVIDERS: Mapping[str, Provider] = {
    provider.name: provider
    for provider in (
        Provider(
            name="gemini",
            a_model="a Gemini model",
            key_variable="GEMINI_API_KEY",
            base_url_variable="GOOGLE_GEMINI_BASE_URL",
            forms=(
                "'gemini' (the default Gemini model)",
                "'gemini:<model>' e.g. 'gemini:gemini-2.5-flash'",
            ),
            build=_gemini,
            default_model=DEFAULT_GEMINI_MODEL,
        ),
        Provider(
            name="openai",
            a_model="an OpenAI model",
            key_variable="OPENAI_API_KEY",
            base_url_variable="OPENAI_BASE_URL",
            forms=(
                "'openai:<model>' e.g. 'openai:gpt-4o-mini', or 'openai:llama3.1' with "
                "OPENAI_BASE_URL pointing at a local server such as Ollama",
            ),
            build=_openai,
            key_optional_with_base_url=True,
        ),
    )
}

VALID_FORMS: tuple[str, ...] = tuple(form for p in PROVIDERS.values() for form in p.forms)


@dataclass(frozen=True)
class ModelSpec:
    """A spec read against the registry: the provider and the model name it asks for."""

    provider: Provider
    model_name: str


def parse_spec(spec: str) -> ModelSpec:
    """Read ``spec``; raises ``ModelSpecError`` listing the valid forms when it names no model.

    Only the first colon separates the provider, so model names with colons (Ollama's
    ``llama3.1:8b``) pass through whole.
    """
    name, _, model = spec.strip().partition(":")
    provider = PROVIDERS.get(name.strip().lower())
    model = model.strip() or (provider.default_model if provider else None) or ""
    if provider is None or not model:
        raise ModelSpecError(
            f"Cannot read model spec {spec!r}. Valid forms: " + "; ".join(VALID_FORMS) + "."
        )
    return ModelSpec(provider=provider, model_name=model)


def spec_problem(spec: str) -> str | None:
    """Why ``spec`` names no model, in words for a settings check; None when it names one."""
    try:
        parse_spec(spec)
    except ModelSpecError:
        return f"{spec!r} names no model; use " + " or ".join(VALID_FORMS)
    return None


def model_from_spec(
    spec: str, *, settings: Mapping[str, str | None] | None = None, **options: Any
) -> ServiceModelHelper:
    """Return the helper ``spec`` names; ``options`` go to its constructor (timeout, retry, ...).

    ``settings`` maps variable names to values, like the environment: the helper gets the key
    and base URL of its own provider from it and nothing else, so a Gemini helper never sees
    the OpenAI key. ``api_key`` and ``base_url`` options win over it; what neither gives is
    read from the environment by the helper itself.
    """
    parsed = parse_spec(spec)
    provider = parsed.provider
    given = settings or {}
    api_key = options.pop("api_key", None) or given.get(provider.key_variable) or None
    base_url = options.pop("base_url", None) or given.get(provider.base_url_variable) or None
    return provider.build(parsed.model_name, api_key, base_url, **options)
