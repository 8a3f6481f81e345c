"""Ask for JSON until an answer is usable, telling the model each time what was wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from alignment._prompting.structured import ask_json
from alignment._providers.base import ModelHelper
from alignment._single_run.prompts import with_retry_note
from alignment.errors import AnswerFormatError

T = TypeVar("T")


def ask_json_until_usable(
    helper: ModelHelper,
    prompt: str,
    schema: dict[str, Any],
    temperature: float,
    read: Callable[[Any], T],
    attempts: int,
) -> T:
    """What ``read`` makes of the first usable answer in at most ``attempts`` tries.

    ``read`` raises AnswerFormatError for an answer it cannot use; the next try carries that
    problem in the prompt. When every try fails, the last problem is raised.
    """
    problem: str | None = None
    for _ in range(attempts):
        try:
            return read(ask_json(helper, with_retry_note(prompt, problem), schema, temperature))
        except AnswerFormatError as error:
            problem = str(error)
    raise AnswerFormatError(problem or "no attempt was made")
