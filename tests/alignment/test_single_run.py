"""Running a single-run prompt: filling variables, candidates, and what the conversation keeps."""

import itertools

import pytest

from alignment.errors import MissingVariableError, TemplateError
from alignment.single_run import AlignableSingleRun, ConversationTurn, NoResponseError
from tests.fakes.models import Request, ScriptedModel

USES = "Give three uses for the following item: {item}"


def _prompt(model: ScriptedModel, description: str = USES) -> AlignableSingleRun:
    run = AlignableSingleRun(model)
    run.set_model_description(description)
    return run


def test_dict_input_fills_variables_and_is_kept_with_the_answer() -> None:
    model = ScriptedModel(["1. Cut paper."])
    run = _prompt(model)
    answer = run.send_input({"item": "scissors"})
    assert isinstance(answer, ConversationTurn)
    assert str(answer) == "1. Cut paper."
    assert model.requests[0].prompt == "Give three uses for the following item: scissors"
    user, committed = run.data.conversations[0]
    assert (user.is_user, user.vars) == (True, {"item": "scissors"})
    assert user.text == model.requests[0].prompt
    assert committed is answer and not committed.is_user


def test_bare_string_fills_a_one_variable_template() -> None:
    model = ScriptedModel(["ok"])
    run = _prompt(model)
    run.send_input("scissors")
    assert model.requests[0].prompt.endswith("item: scissors")
    assert run.data.conversations[0][0].vars == {"item": "scissors"}


def test_bare_string_is_appended_to_a_template_without_variables() -> None:
    model = ScriptedModel(["ok"])
    run = _prompt(model, "Summarise the text below.")
    run.send_input("Cats sleep a lot.")
    assert model.requests[0].prompt == "Summarise the text below.\n\nCats sleep a lot."


def test_bare_string_with_several_variables_is_refused_before_any_call() -> None:
    model = ScriptedModel()
    run = _prompt(model, "Uses of {item} for {audience}")
    with pytest.raises(TemplateError, match="item, audience"):
        run.send_input("scissors")
    assert model.requests == [] and run.data.conversations == []


def test_missing_variable_leaves_no_conversation_behind() -> None:
    model = ScriptedModel()
    run = _prompt(model)
    with pytest.raises(MissingVariableError, match="item"):
        run.send_input({"thing": "scissors"})
    assert model.requests == [] and run.data.conversations == []


def test_failed_model_call_leaves_no_conversation_behind() -> None:
    def broken(request: Request) -> str:
        raise TimeoutError("model down")

    run = _prompt(ScriptedModel(responder=broken))
    with pytest.raises(TimeoutError):
        run.send_input("scissors")
    assert run.data.conversations == []


def test_set_model_description_refuses_attribute_access() -> None:
    run = AlignableSingleRun(ScriptedModel())
    with pytest.raises(TemplateError, match="not allowed"):
        run.set_model_description("Use {item.__class__}")
    assert run.get_model_description() == ""


def test_candidates_come_from_one_call_and_the_first_is_committed() -> None:
    model = ScriptedModel(["a", "b", "c"])
    run = _prompt(model)
    candidates = run.send_input("scissors", generate_multiple_candidates=True)
    assert isinstance(candidates, list)
    assert [c.text for c in candidates] == ["a", "b", "c"]
    assert [r.candidate_count for r in model.requests] == [3, 3, 3]  # one predict call
    conversation = run.data.conversations[0]
    assert [t.text for t in conversation] == [model.requests[0].prompt, "a"]


def test_uncommitted_candidates_then_the_picked_one_is_committed() -> None:
    run = _prompt(ScriptedModel(["a", "b", "c"]))
    candidates = run.send_input(
        "scissors", generate_multiple_candidates=True, commit_model_response=False
    )
    assert isinstance(candidates, list)
    assert len(run.data.conversations[0]) == 1
    run.commit_model_response(candidates[1])
    run.commit_model_response(candidates[2])  # a change of mind replaces, never appends
    conversation = run.data.conversations[0]
    assert [t.is_user for t in conversation] == [True, False]
    assert conversation[1].text == "c"


def test_committing_a_list_or_a_user_turn_is_refused() -> None:
    run = _prompt(ScriptedModel(["a", "b", "c"]))
    candidates = run.send_input("x", generate_multiple_candidates=True, commit_model_response=False)
    assert isinstance(candidates, list)
    with pytest.raises(TypeError):
        run.commit_model_response(candidates)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        run.commit_model_response(ConversationTurn("me", is_user=True))
    assert len(run.data.conversations[0]) == 1


class _OneAnswerModel(ScriptedModel):
    """A helper that ignores candidate_count, as many simple helpers do."""

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        return self._answer(Request(prompt, temperature, stop_sequences, 1, max_output_tokens))


def test_helper_returning_one_string_is_topped_up_to_the_candidate_count() -> None:
    numbers = itertools.count(1)  # next() on a count is atomic, so threads get distinct ones
    model = _OneAnswerModel(responder=lambda request: f"answer {next(numbers)}")
    run = _prompt(model)
    candidates = run.send_input("x", generate_multiple_candidates=True, candidate_count=4)
    assert isinstance(candidates, list)
    assert len(candidates) == 4
    assert sorted(c.text for c in candidates) == ["answer 1", "answer 2", "answer 3", "answer 4"]
    assert len(model.requests) == 4
    assert [t.is_user for t in run.data.conversations[0]] == [True, False]


def test_each_send_starts_a_new_conversation() -> None:
    run = _prompt(ScriptedModel(["one", "two"]))
    run.send_input("pen")
    run.send_input("cup")
    assert run.current_convo_idx == 1
    assert [c[1].text for c in run.data.conversations] == ["one", "two"]
    assert run.get_input_output_pair()[0].vars == {"item": "cup"}


def test_loading_data_continues_from_its_last_conversation() -> None:
    first = _prompt(ScriptedModel(["one", "two"]))
    first.send_input("pen")
    first.send_input("cup")
    again = AlignableSingleRun(ScriptedModel(), data=first.data)
    assert again.get_input_output_pair()[1].text == "two"


def test_feedback_before_any_answer_is_a_clear_error() -> None:
    run = _prompt(ScriptedModel(["a", "b", "c"]))
    with pytest.raises(NoResponseError, match="send_input"):
        run.critique_response("too short")
    run.send_input("x", generate_multiple_candidates=True, commit_model_response=False)
    with pytest.raises(NoResponseError, match="commit"):
        run.critique_response("too short")
    assert run.data.principles == []
