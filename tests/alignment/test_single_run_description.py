"""Rewriting the description: from principles, from direct feedback, and keeping its variables."""

import pytest

from alignment.errors import AlignmentAnswerError
from alignment.single_run import AlignableSingleRun, PromptVariablesChangedError
from tests.alignment.single_run_answers import rewritten
from tests.fakes.models import ScriptedModel

USES = "Give three uses for the {item} to {audience}."
PRINCIPLES = ["Include a creative use.", "Number the uses."]


def _run(alignment: ScriptedModel, principles: list[str] | None = None) -> AlignableSingleRun:
    run = AlignableSingleRun(ScriptedModel(), alignment)
    run.set_model_description(USES)
    run.data.principles = list(principles if principles is not None else PRINCIPLES)
    return run


def test_apply_sends_description_and_principles_and_stores_the_rewrite() -> None:
    folded = "Give three numbered uses for the {item} to {audience}, one of them creative."
    alignment = ScriptedModel([rewritten(folded)])
    run = _run(alignment)
    assert run.update_model_description_from_principles() == folded
    assert run.get_model_description() == folded
    assert run.data.original_preamble == USES
    sent = alignment.requests[0].prompt
    assert USES in sent
    assert "1. Include a creative use." in sent and "2. Number the uses." in sent
    assert "{item}, {audience}" in sent  # the placeholders the rewrite must keep


def test_apply_always_starts_from_the_original_description() -> None:
    alignment = ScriptedModel(
        [rewritten("First {item} {audience}."), rewritten("Second {item} {audience}.")]
    )
    run = _run(alignment)
    run.update_model_description_from_principles()
    run.data.principles.append("Be brief.")
    assert run.update_model_description_from_principles() == "Second {item} {audience}."
    second = alignment.requests[1].prompt
    assert USES in second and "First {item}" not in second


def test_apply_with_no_principles_restores_the_original_without_a_call() -> None:
    alignment = ScriptedModel([rewritten("Folded {item} {audience}.")])
    run = _run(alignment)
    run.update_model_description_from_principles()
    run.data.principles = []
    assert run.update_model_description_from_principles() == USES
    assert len(alignment.requests) == 1


@pytest.mark.parametrize(
    "bad",
    [
        "Give three uses for the {item}.",  # dropped {audience}
        "Give three uses for the {item} to {audience} in {tone}.",  # invented {tone}
        "Give uses for {item.name} to {audience}.",  # a field the formatter refuses
        "Give three uses for the item to the audience.",
    ],
)
def test_rewrite_that_changes_variables_is_retried_then_refused(bad: str) -> None:
    alignment = ScriptedModel([rewritten(bad)] * 3)
    run = _run(alignment)
    before = run.data.to_dict()
    with pytest.raises(PromptVariablesChangedError) as caught:
        run.update_model_description_from_principles()
    assert run.data.to_dict() == before
    assert len(alignment.requests) == 3
    assert "item, audience" in str(caught.value)


def test_rewrite_that_drops_a_variable_is_fixed_on_retry() -> None:
    good = "Give three creative, numbered uses for the {item} to {audience}."
    alignment = ScriptedModel([rewritten("Uses for {item}."), rewritten(good)])
    run = _run(alignment)
    assert run.update_model_description_from_principles() == good
    retry = alignment.requests[1].prompt
    assert "lacked {audience}" in retry


def test_unreadable_rewrites_raise_a_typed_error_and_change_nothing() -> None:
    alignment = ScriptedModel(["Sure! Here it is.", '{"text": "x"}', '{"prompt": ""}'])
    run = _run(alignment)
    with pytest.raises(AlignmentAnswerError):
        run.update_model_description_from_principles()
    assert run.get_model_description() == USES


def test_feedback_edit_lands_in_the_description_when_nothing_is_folded() -> None:
    edited = "Give three uses for the {item} to {audience}, in French."
    alignment = ScriptedModel([rewritten(edited)])
    run = _run(alignment)
    assert run.update_model_description_from_feedback("answer in French") == edited
    assert (run.data.preamble, run.data.original_preamble) == (edited, edited)
    assert "answer in French" in alignment.requests[0].prompt
    assert len(alignment.requests) == 1


def test_feedback_edit_survives_a_later_apply() -> None:
    folded = "Give three numbered uses, one creative, for the {item} to {audience}."
    alignment = ScriptedModel(
        [
            rewritten(folded),
            rewritten("Give three uses for the {item} to {audience}, in French."),
            rewritten(folded + " Answer in French."),
            rewritten("Refolded in French: {item} {audience}."),
        ]
    )
    run = _run(alignment)
    run.update_model_description_from_principles()
    running = run.update_model_description_from_feedback("answer in French")
    assert running == folded + " Answer in French."
    assert run.data.original_preamble.endswith("in French.")
    # The two edits: the description people wrote, then the one that runs.
    assert USES in alignment.requests[1].prompt and folded in alignment.requests[2].prompt
    run.update_model_description_from_principles()
    assert "in French." in alignment.requests[3].prompt  # the apply starts from the edited base


def test_feedback_edit_that_breaks_variables_changes_nothing() -> None:
    alignment = ScriptedModel([rewritten("Uses for {item}.")] * 3)
    run = _run(alignment)
    with pytest.raises(PromptVariablesChangedError, match="dropped audience"):
        run.update_model_description_from_feedback("shorter please")
    assert (run.data.preamble, run.data.original_preamble) == (USES, USES)
