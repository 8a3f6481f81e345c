from __future__ import annotations

from typing import Any

import pytest

from alignment._prompting.answer_retry import ask_json_until_usable
from alignment.errors import AnswerFormatError
from tests.fakes.models import ScriptedModel

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}}


def read_positive(answer: Any) -> int:
    number = answer.get("n") if isinstance(answer, dict) else None
    if not isinstance(number, int) or number <= 0:
        raise AnswerFormatError(f"n must be a positive whole number, got {number!r}")
    return number


def test_an_unusable_answer_is_asked_again_with_what_was_wrong() -> None:
    model = ScriptedModel(['{"n": -2}', "no json here", '{"n": 7}'])

    assert ask_json_until_usable(model, "Pick n.", SCHEMA, 0.0, read_positive, attempts=3) == 7
    prompts = [request.prompt for request in model.requests]
    assert prompts[0] == "Pick n."
    assert prompts[1].startswith("Pick n.") and "got -2" in prompts[1]
    assert prompts[2].startswith("Pick n.") and "expected a JSON answer" in prompts[2]


def test_the_last_problem_is_raised_when_no_try_gives_a_usable_answer() -> None:
    model = ScriptedModel(['{"n": 0}', '{"n": -1}', '{"n": 5}'])

    with pytest.raises(AnswerFormatError, match="got -1"):
        ask_json_until_usable(model, "Pick n.", SCHEMA, 0.0, read_positive, attempts=2)
    assert len(model.requests) == 2
