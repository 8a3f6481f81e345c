from __future__ import annotations

import pytest

from alignment._providers.gemini import DEFAULT_GEMINI_MODEL, GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.registry import model_from_spec
from alignment.errors import ModelSpecError
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
