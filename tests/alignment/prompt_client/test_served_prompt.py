"""A served prompt fills its variables safely and turns into the seed's objects."""

from __future__ import annotations

import pytest

from alignment import AlignableSingleRun, ConstitutionalPrompt, ServedPrompt
from alignment.errors import (
    MissingVariableError,
    ModelConfigError,
    TemplateError,
    UnexpectedVariableError,
)
from alignment.model_helper import OpenAICompatibleModelHelper
from alignment.prompt_client import ModelSettings
from tests.fakes.models import ScriptedModel

PROMPT = ServedPrompt(
    name="uses",
    version=3,
    template='Give {count} uses for {item}. Answer as JSON: {"uses": []}',
    labels=("production",),
    principles=("Name at least one creative use.", "Keep each use short."),
)


def test_format_fills_every_variable() -> None:
    assert PROMPT.variables == ["count", "item"]
    text = PROMPT.format(item="scissors", count=3)
    assert text == 'Give 3 uses for scissors. Answer as JSON: {"uses": []}'


def test_values_are_never_read_as_placeholders() -> None:
    text = PROMPT.format(item="{count} and {{x}} and {item.__class__}", count="{item}")
    assert text.startswith("Give {item} uses for {count} and {{x}} and {item.__class__}.")


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(MissingVariableError) as caught:
        PROMPT.format(item="scissors")
    assert caught.value.missing == ["count"]


def test_a_value_for_a_variable_the_template_lacks_is_refused() -> None:
    with pytest.raises(UnexpectedVariableError) as caught:
        PROMPT.format(item="scissors", count=3, itme="typo")
    assert caught.value.unexpected == ["itme"]
    assert "count, item" in str(caught.value)
    assert isinstance(caught.value, TemplateError)


def test_a_variable_may_be_called_self() -> None:
    prompt = ServedPrompt(name="p", version=1, template="{self} and {name}")
    assert prompt.format(self="me", name="you") == "me and you"


def test_it_becomes_the_seeds_constitutional_prompt() -> None:
    data = PROMPT.to_constitutional_prompt()
    assert data == ConstitutionalPrompt(
        preamble=PROMPT.template,
        original_preamble=PROMPT.template,
        principles=list(PROMPT.principles),
    )
    data.principles.append("changed")  # the served prompt is not changed through it
    assert len(PROMPT.principles) == 2


def test_it_becomes_a_single_run_that_runs_its_template() -> None:
    model = ScriptedModel(["1. cut paper"])
    run = PROMPT.to_single_run(model)
    assert isinstance(run, AlignableSingleRun)
    assert run.data.principles == list(PROMPT.principles)
    answer = run.send_input({"item": "scissors", "count": "3"})
    assert answer.text == "1. cut paper"
    assert model.requests[0].prompt == PROMPT.format(item="scissors", count=3)


def test_with_no_model_given_the_versions_model_setting_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    prompt = ServedPrompt(
        name="uses",
        version=2,
        template="{item}",
        model_settings=ModelSettings(model="openai:llama3.1", temperature=0.2),
    )
    run = prompt.to_single_run()
    assert isinstance(run.prompt_model, OpenAICompatibleModelHelper)
    assert run.prompt_model.model_name == "llama3.1"


def test_with_no_model_given_nor_set_the_error_says_how_to_fix_it() -> None:
    with pytest.raises(ModelConfigError, match="pass prompt_model="):
        PROMPT.to_single_run()
