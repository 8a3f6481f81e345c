"""Suggested critiques and kudos: distinct, enough of them, and about the right answer."""

import pytest

from alignment._single_run.prompts import SUGGESTIONS_SCHEMA
from alignment.single_run import AlignableSingleRun, AlignmentAnswerError
from tests.alignment.single_run_answers import suggestions
from tests.fakes.models import ScriptedModel, StructuredScriptedModel


def _answered(alignment: ScriptedModel) -> AlignableSingleRun:
    run = AlignableSingleRun(ScriptedModel(["1. Cut paper.", "x", "y", "z"]), alignment)
    run.set_model_description("Give three uses for the following item: {item}")
    run.send_input("scissors")
    return run


def test_three_critiques_about_the_latest_answer() -> None:
    alignment = StructuredScriptedModel([suggestions("Too general.", "No detail.", "Repetitive.")])
    run = _answered(alignment)
    assert run.generate_critiques() == ["Too general.", "No detail.", "Repetitive."]
    request = alignment.requests[0]
    assert request.schema == SUGGESTIONS_SCHEMA
    assert "1. Cut paper." in request.prompt and "item: scissors" in request.prompt
    assert "critique" in request.prompt


def test_kudos_prompt_asks_for_praise() -> None:
    alignment = ScriptedModel([suggestions("Clear.", "Practical.", "Well numbered.", "Short.")])
    run = _answered(alignment)
    assert run.generate_kudos() == ["Clear.", "Practical.", "Well numbered."]
    assert "kudos" in alignment.requests[0].prompt


def test_duplicates_are_dropped_and_the_model_asked_for_different_ones() -> None:
    alignment = ScriptedModel(
        [
            suggestions("Too general.", "too  GENERAL", "No detail."),
            suggestions("No detail!", "Repetitive."),
        ]
    )
    run = _answered(alignment)
    assert run.generate_critiques() == ["Too general.", "No detail.", "Repetitive."]
    again = alignment.requests[1].prompt
    assert "already suggested" in again
    assert "1. Too general.\n2. No detail." in again


def test_too_few_distinct_suggestions_after_asking_again_is_an_error() -> None:
    alignment = ScriptedModel([suggestions("Same.", "same"), suggestions("SAME!")])
    run = _answered(alignment)
    with pytest.raises(AlignmentAnswerError, match="1 distinct critique"):
        run.generate_critiques()


def test_unreadable_answer_then_a_good_one() -> None:
    alignment = ScriptedModel(["Here are some ideas: too long", '["A.", "B.", "C."]'])
    run = _answered(alignment)
    assert run.generate_kudos() == ["A.", "B.", "C."]
    assert "could not be used" in alignment.requests[1].prompt


def test_suggestions_for_a_chosen_candidate() -> None:
    prompt_model = ScriptedModel(["pen-alpha", "pen-beta", "pen-gamma"])
    alignment = ScriptedModel([suggestions("A.", "B.", "C.", "D.", "E.")])
    run = AlignableSingleRun(prompt_model, alignment)
    run.set_model_description("Describe {item}")
    candidates = run.send_input(
        "pen", generate_multiple_candidates=True, commit_model_response=False
    )
    assert isinstance(candidates, list)
    assert run.generate_kudos(count=5, turn=candidates[1]) == ["A.", "B.", "C.", "D.", "E."]
    assert "pen-beta" in alignment.requests[0].prompt
    assert "pen-alpha" not in alignment.requests[0].prompt
