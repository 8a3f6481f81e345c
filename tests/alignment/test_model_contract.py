"""The seed's contract: a user helper with nothing but ``predict`` keeps working."""

from __future__ import annotations

import pytest

from alignment import model_helper
from alignment._prompting.structured import ask_json
from alignment.model_helper import (
    GeminiModelHelper,
    ModelHelper,
    OpenAICompatibleModelHelper,
    SupportsStructuredOutput,
    model_identity,
)
from tests.alignment.model_test_support import clear_model_env


class EchoModel(ModelHelper):
    """What a user of the upstream library would write: ``predict`` only."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, int]] = []

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        self.calls.append((prompt, temperature, candidate_count))
        return 'Sure! Here it is: {"verdict": "kind"}'


def test_a_predict_only_helper_serves_structured_questions() -> None:
    helper = EchoModel()
    assert not isinstance(helper, SupportsStructuredOutput)
    answer = ask_json(helper, "judge this", {"type": "object"}, temperature=0.2)
    assert answer == {"verdict": "kind"}
    assert helper.calls == [("judge this", 0.2, 1)]


def test_a_helper_without_predict_cannot_be_built() -> None:
    class Incomplete(ModelHelper):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_ready_made_helpers_offer_structured_output_and_a_model_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_model_env(monkeypatch)
    gemini = GeminiModelHelper(api_key="k", model_name="gemini-2.5-flash")
    local = OpenAICompatibleModelHelper("llama3.1", base_url="http://127.0.0.1:9/v1")
    assert isinstance(gemini, SupportsStructuredOutput)
    assert isinstance(local, SupportsStructuredOutput)
    assert model_identity(gemini) == "GeminiModelHelper:gemini-2.5-flash"
    assert model_identity(local) == "OpenAICompatibleModelHelper:llama3.1"


def test_every_public_name_is_importable() -> None:
    for name in model_helper.__all__:
        assert getattr(model_helper, name) is not None
    assert issubclass(model_helper.ModelUnavailableError, model_helper.ModelError)
    assert issubclass(model_helper.ModelAuthError, model_helper.ModelError)
