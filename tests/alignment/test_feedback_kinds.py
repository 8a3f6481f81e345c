"""The library's one list of feedback kinds: every kind has its texts, and nothing defaults."""

from __future__ import annotations

import pytest

from alignment._single_run import feedback_classifier, feedback_suggestions, principle_proposals
from alignment._single_run.feedback_kinds import (
    FEEDBACK_KINDS,
    FeedbackKinds,
    FeedbackKindSpec,
    SuggestionTexts,
)
from alignment._single_run.principle_proposals import FeedbackTarget
from alignment.single_run import AlignableSingleRun, UnknownFeedbackKindError
from tests.alignment.single_run_answers import suggestions
from tests.fakes.models import ScriptedModel

TARGET = FeedbackTarget("Give uses for {item}", {"item": "scissors"}, "Give uses for scissors", "A")

PRAISE = FeedbackKindSpec(
    name="praise",
    meaning="the reply cheers the answer on.",
    decision_block="## Cheers\n<praise>\n{feedback}\n</praise>",
    suggestion=SuggestionTexts(noun="cheers", guidance="Cheers say what to celebrate."),
)


def test_the_kinds_the_library_understands() -> None:
    assert FEEDBACK_KINDS.names == ("kudos", "critique", "rewrite")
    assert FEEDBACK_KINDS.suggestable == ("kudos", "critique")


@pytest.mark.parametrize("kind", FEEDBACK_KINDS.names)
def test_every_kind_has_its_prompt_texts(kind: str) -> None:
    spec = FEEDBACK_KINDS.get(kind)
    assert spec.meaning.strip()
    prompt = principle_proposals.decision_prompt(kind, "FEEDBACK-TEXT", ["Be brief."], TARGET)
    assert "FEEDBACK-TEXT" in prompt and f"<{kind}>" in prompt
    assert f'- "{kind}": {spec.meaning}' in feedback_classifier.classify_prompt("r", "a")
    assert kind in feedback_classifier.CLASSIFY_SCHEMA["properties"]["kind"]["enum"]


@pytest.mark.parametrize("kind", FEEDBACK_KINDS.suggestable)
def test_suggestions_use_only_their_own_kind_s_texts(kind: str) -> None:
    prompt = feedback_suggestions.suggestion_prompt(kind, TARGET, 3, [])
    own = FEEDBACK_KINDS.suggestion_texts(kind)
    assert f"draft 3 pieces of {own.noun} " in prompt and own.guidance in prompt
    for other in FEEDBACK_KINDS.suggestable:
        if other != kind:
            assert FEEDBACK_KINDS.suggestion_texts(other).guidance not in prompt


@pytest.mark.parametrize("kind", ["praise", "Critique", ""])
def test_an_unknown_kind_is_refused_before_the_model_is_asked(kind: str) -> None:
    model = ScriptedModel([suggestions("A.", "B.", "C.")])
    with pytest.raises(UnknownFeedbackKindError, match="kudos, critique, rewrite"):
        principle_proposals.decide_change(model, kind, "too long", [], TARGET)
    with pytest.raises(UnknownFeedbackKindError):
        feedback_suggestions.suggest_feedback(model, kind, TARGET)
    assert model.requests == []


def test_a_rewrite_cannot_be_suggested_and_is_not_read_as_a_critique() -> None:
    alignment = ScriptedModel([suggestions("A.", "B.", "C.")])
    run = AlignableSingleRun(ScriptedModel(["1. Cut paper."]), alignment)
    run.set_model_description("Give uses for {item}")
    run.send_input("scissors")
    with pytest.raises(UnknownFeedbackKindError, match="cannot be suggested"):
        run.generate_feedback("rewrite")
    assert alignment.requests == []
    assert run.generate_feedback("critique") == ["A.", "B.", "C."]


def test_an_added_kind_reaches_every_prompt() -> None:
    kinds = FeedbackKinds([*FEEDBACK_KINDS, PRAISE])
    assert kinds.suggestable == ("kudos", "critique", "praise")
    assert feedback_classifier.reply_kinds(kinds)[-2:] == ("praise", "not_feedback")
    assert feedback_classifier.classify_schema(kinds)["properties"]["kind"]["enum"][-2] == "praise"
    classify = feedback_classifier.classify_prompt("hooray", "A", kinds)
    assert '- "praise": the reply cheers the answer on.' in classify
    assert '"rewrite" | "praise" | "not_feedback"' in classify


def test_a_registry_refuses_duplicates_and_blocks_without_the_feedback() -> None:
    with pytest.raises(ValueError, match="twice"):
        FeedbackKinds([PRAISE, PRAISE])
    with pytest.raises(ValueError, match="feedback"):
        FeedbackKinds([FeedbackKindSpec("praise", "cheers", "no placeholder")])
