from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from alignment._providers import registry
from alignment.errors import ModelSpecError
from alignment.model_helper import (
    DEFAULT_GEMINI_MODEL,
    PROVIDERS,
    GeminiModelHelper,
    ModelSpec,
    OpenAICompatibleModelHelper,
    model_from_spec,
    parse_spec,
    spec_problem,
)
from tests.alignment.model_test_support import clear_model_env


@pytest.fixture(autouse=True)
def model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


def test_gemini_spec_names_the_model() -> None:
    helper = model_from_spec("gemini:gemini-2.5-pro")
    assert isinstance(helper, GeminiModelHelper)
    assert helper.model_name == "gemini-2.5-pro"


def test_bare_gemini_uses_the_default_model() -> None:
    helper = model_from_spec(" Gemini ")
    assert isinstance(helper, GeminiModelHelper)
    assert helper.model_name == DEFAULT_GEMINI_MODEL


def test_openai_spec_keeps_model_names_with_colons() -> None:
    helper = model_from_spec("openai:llama3.1:8b")
    assert isinstance(helper, OpenAICompatibleModelHelper)
    assert helper.model_name == "llama3.1:8b"
    assert helper.base_url == "http://127.0.0.1:9/v1"


def test_options_reach_the_helper() -> None:
    helper = model_from_spec("openai:llama3.1", timeout=5.0, max_concurrent_calls=4)
    assert helper.timeout == 5.0
    assert helper.max_concurrent_calls == 4


@pytest.mark.parametrize("spec", ["", "claude:opus", "openai", "openai:", "gemini-2.5-flash"])
def test_bad_spec_lists_the_valid_forms(spec: str) -> None:
    with pytest.raises(ModelSpecError) as raised:
        model_from_spec(spec)
    message = str(raised.value)
    assert "gemini:<model>" in message
    assert "openai:<model>" in message
    assert isinstance(raised.value, ValueError)


# -- the provider registry ----------------------------------------------------------------------


def test_each_provider_names_its_own_settings() -> None:
    assert set(PROVIDERS) == {"gemini", "openai"}
    gemini, openai = PROVIDERS["gemini"], PROVIDERS["openai"]
    assert (gemini.key_variable, gemini.base_url_variable) == (
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
    )
    assert (openai.key_variable, openai.base_url_variable) == ("OPENAI_API_KEY", "OPENAI_BASE_URL")


def test_parse_spec_gives_the_provider_and_the_model() -> None:
    assert parse_spec("openai:llama3.1:8b") == ModelSpec(PROVIDERS["openai"], "llama3.1:8b")
    assert parse_spec(" GEMINI ") == ModelSpec(PROVIDERS["gemini"], DEFAULT_GEMINI_MODEL)


@pytest.mark.parametrize("spec", ["gemini", "gemini:gemini-2.5-pro", "openai:gpt-4o-mini"])
def test_a_valid_spec_has_no_problem(spec: str) -> None:
    assert spec_problem(spec) is None


@pytest.mark.parametrize("spec", ["claude:opus", "openai:", "gpt-4o"])
def test_a_bad_spec_problem_names_the_spec_and_every_form(spec: str) -> None:
    problem = spec_problem(spec)
    assert problem is not None
    assert problem.startswith(f"{spec!r} names no model; use 'gemini' (the default Gemini model)")
    assert "'openai:<model>' e.g. 'openai:gpt-4o-mini'" in problem


def test_settings_problems_follow_each_provider_rule() -> None:
    gemini, openai = PROVIDERS["gemini"], PROVIDERS["openai"]
    assert gemini.settings_problem({}) == "missing (a Gemini model is configured)"
    # A Gemini-compatible server still needs a key; only OpenAI-compatible ones go without.
    assert gemini.settings_problem({"GOOGLE_GEMINI_BASE_URL": "http://x"}) is not None
    assert gemini.settings_problem({"GEMINI_API_KEY": "k"}) is None
    assert openai.settings_problem({"GEMINI_API_KEY": "k"}) == (
        "missing (an OpenAI model is configured without a base URL)"
    )
    assert openai.settings_problem({"OPENAI_BASE_URL": "http://localhost:11434/v1"}) is None


SETTINGS = {
    "GEMINI_API_KEY": "gemini-from-settings",
    "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:7/gemini",
    "OPENAI_API_KEY": "openai-from-settings",
    "OPENAI_BASE_URL": "http://127.0.0.1:8/v1",
}


def test_a_gemini_spec_takes_only_the_gemini_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, str | None, str | None]] = []
    gemini = PROVIDERS["gemini"]

    def record(model_name: str, api_key: str | None, base_url: str | None, **options: Any) -> Any:
        built.append((model_name, api_key, base_url))
        return gemini.build(model_name, api_key, base_url, **options)

    monkeypatch.setitem(registry.PROVIDERS, "gemini", replace(gemini, build=record))
    helper = model_from_spec("gemini:gemini-2.5-pro", settings=SETTINGS)

    assert built == [("gemini-2.5-pro", "gemini-from-settings", "http://127.0.0.1:7/gemini")]
    assert isinstance(helper, GeminiModelHelper)


def test_an_openai_spec_takes_only_the_openai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, str | None, str | None]] = []
    openai = PROVIDERS["openai"]

    def record(model_name: str, api_key: str | None, base_url: str | None, **options: Any) -> Any:
        built.append((model_name, api_key, base_url))
        return openai.build(model_name, api_key, base_url, **options)

    monkeypatch.setitem(registry.PROVIDERS, "openai", replace(openai, build=record))
    helper = model_from_spec("openai:llama3.1", settings=SETTINGS)

    assert built == [("llama3.1", "openai-from-settings", "http://127.0.0.1:8/v1")]
    assert isinstance(helper, OpenAICompatibleModelHelper)
    assert helper.base_url == "http://127.0.0.1:8/v1"


def test_explicit_key_and_base_url_win_over_settings() -> None:
    helper = model_from_spec(
        "openai:llama3.1", settings=SETTINGS, api_key="given", base_url="http://127.0.0.1:9/v1"
    )
    assert isinstance(helper, OpenAICompatibleModelHelper)
    assert helper.base_url == "http://127.0.0.1:9/v1"
