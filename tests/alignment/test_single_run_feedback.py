"""Feedback into principle changes: what the model is shown, what changes, and bad answers."""

import json

import pytest

from alignment._single_run.principles import PrincipleChange
from alignment._single_run.prompts import CHANGE_SCHEMA
from alignment.single_run import AlignableSingleRun, AlignmentAnswerError, ConversationTurn
from tests.alignment.single_run_answers import decision
from tests.fakes.models import ScriptedModel, StructuredScriptedModel

USES = "Give three uses for the following item: {item}"
PRINCIPLES = ["Number the uses.", "Keep each use under ten words."]


def _answered(alignment: ScriptedModel, principles: list[str] | None = None) -> AlignableSingleRun:
    run = AlignableSingleRun(ScriptedModel(["1. Cut paper.\n2. Cut cloth."]), alignment)
    run.set_model_description(USES)
    run.data.principles = list(principles or [])
    run.send_input("scissors")
    return run


def test_critique_adds_a_principle_and_the_prompt_shows_the_whole_run() -> None:
    alignment = ScriptedModel([decision("add", 0, "Include a creative use.", "none were")])
    run = _answered(alignment, PRINCIPLES)
    updated = run.critique_response("the list doesn't include any creative uses")
    assert updated == [*PRINCIPLES, "Include a creative use."]
    assert run.data.principles == updated
    assert run.last_change == PrincipleChange(
        "add", 2, None, "Include a creative use.", "none were"
    )
    assert run.last_change_reason == "none were"
    sent = alignment.requests[0].prompt
    for expected in [
        USES,
        "item: scissors",
        "1. Cut paper.\n2. Cut cloth.",
        "the list doesn't include any creative uses",
        "1. Number the uses.",
        "2. Keep each use under ten words.",
    ]:
        assert expected in sent


def test_structured_helper_gets_the_change_schema() -> None:
    alignment = StructuredScriptedModel([decision("add", 0, "Be playful.")])
    run = _answered(alignment)
    run.kudos_response("fun")
    assert alignment.requests[0].schema == CHANGE_SCHEMA
    assert run.data.principles == ["Be playful."]


def test_edit_records_old_and_new_text() -> None:
    alignment = ScriptedModel([decision("edit", 2, "Keep each use under six words.", "shorter")])
    run = _answered(alignment, PRINCIPLES)
    updated = run.critique_response("still too wordy")
    assert updated == ["Number the uses.", "Keep each use under six words."]
    assert run.last_change == PrincipleChange(
        "edit", 1, "Keep each use under ten words.", "Keep each use under six words.", "shorter"
    )


def test_delete_records_what_was_removed() -> None:
    run = _answered(ScriptedModel([decision("delete", 1, "", "numbers look stiff")]), PRINCIPLES)
    assert run.rewrite_response("Paper, cloth, hair.") == ["Keep each use under ten words."]
    assert run.last_change == PrincipleChange(
        "delete", 0, "Number the uses.", None, "numbers look stiff"
    )


def test_rewrite_prompt_carries_the_rewrite_as_the_wanted_answer() -> None:
    alignment = ScriptedModel([decision("add", 0, "List uses as a sentence.")])
    run = _answered(alignment)
    run.rewrite_response("You can cut paper, cloth or hair.")
    assert (
        "<rewrite>\nYou can cut paper, cloth or hair.\n</rewrite>" in alignment.requests[0].prompt
    )


@pytest.mark.parametrize(
    "answer",
    [
        decision("none", 0, "", "principle 1 already covers it"),
        decision("add", 0, "  number the USES. ", "dup"),
        decision("edit", 1, "Number the uses.", "same"),
    ],
)
def test_no_change_keeps_principles_and_records_a_reason(answer: str) -> None:
    run = _answered(ScriptedModel([answer]), PRINCIPLES)
    run.last_change = PrincipleChange("add", 0, None, "stale")
    assert run.kudos_response("numbered, nice") == PRINCIPLES
    assert run.last_change is None
    assert run.last_change_reason


@pytest.mark.parametrize(
    "bad",
    [
        decision("edit", 3, "x"),  # out of range: there are two principles
        decision("delete", 0),  # 0 is not a principle number
        decision("delete", -1),
        decision("", 0, "x"),  # names no action at all
        decision("rename", 1, "x"),
        json.dumps({"index": 1}),
        decision("add", 0, "   "),
        "I would add a principle about creativity.",
        "[1, 2]",
    ],
)
def test_unusable_answers_twice_raise_and_change_nothing(bad: str) -> None:
    alignment = ScriptedModel([bad, bad])
    run = _answered(alignment, PRINCIPLES)
    before = run.data.to_dict()
    with pytest.raises(AlignmentAnswerError, match="principles are unchanged"):
        run.critique_response("needs creativity")
    assert run.data.to_dict() == before
    assert run.last_change is None
    assert len(alignment.requests) == 2


def test_out_of_range_answer_is_asked_again_with_the_problem_named() -> None:
    alignment = ScriptedModel([decision("edit", 7, "x"), decision("edit", 2, "Keep uses short.")])
    run = _answered(alignment, PRINCIPLES)
    assert run.critique_response("wordy")[1] == "Keep uses short."
    retry = alignment.requests[1].prompt
    assert "index 7 is out of range" in retry and "1 to 2" in retry


def test_edit_with_no_principles_is_unusable() -> None:
    run = _answered(ScriptedModel([decision("edit", 1, "x"), decision("delete", 1)]))
    with pytest.raises(AlignmentAnswerError, match="only add or none"):
        run.critique_response("wordy")


def test_empty_feedback_is_refused_without_a_model_call() -> None:
    alignment = ScriptedModel()
    run = _answered(alignment)
    with pytest.raises(ValueError, match="empty"):
        run.critique_response("   ")
    assert alignment.requests == []


def test_feedback_can_target_an_earlier_conversation_and_an_uncommitted_candidate() -> None:
    prompt_model = ScriptedModel(["cup answer", "pen 1", "pen 2", "pen 3"])
    alignment = ScriptedModel([decision("add", 0, "A."), decision("add", 0, "B.")])
    run = AlignableSingleRun(prompt_model, alignment)
    run.set_model_description(USES)
    run.send_input("cup")
    candidates = run.send_input(
        "pen", generate_multiple_candidates=True, commit_model_response=False
    )
    assert isinstance(candidates, list)
    run.critique_response("too plain", conversation_index=0)
    assert "item: cup" in alignment.requests[0].prompt
    assert "cup answer" in alignment.requests[0].prompt
    run.kudos_response("love this one", turn=candidates[2])
    assert "item: pen" in alignment.requests[1].prompt
    assert "pen 3" in alignment.requests[1].prompt and "pen 1" not in alignment.requests[1].prompt
    assert run.data.principles == ["A.", "B."]
    assert len(run.data.conversations[1]) == 1  # judging a candidate does not commit it


def test_propose_change_is_pure_and_works_on_given_principles_and_conversation() -> None:
    alignment = ScriptedModel([decision("delete", 2, "", "contradicts")])
    run = _answered(alignment, ["Mine."])
    elsewhere = ["Be formal.", "Use emoji."]
    conversation = [
        ConversationTurn("Describe a pen", True, {"thing": "pen"}),
        ConversationTurn("A pen 🖊️ writes."),
    ]
    change = run.propose_change(
        "critique", "no emoji please", elsewhere, conversation, description="Describe a {thing}"
    )
    assert change == PrincipleChange("delete", 1, "Use emoji.", None, "contradicts")
    assert elsewhere == ["Be formal.", "Use emoji."]
    assert run.data.principles == ["Mine."] and run.last_change is None
    sent = alignment.requests[0].prompt
    assert "2. Use emoji." in sent and "A pen 🖊️ writes." in sent and "Describe a {thing}" in sent
    assert change.apply(elsewhere) == ["Be formal."]
