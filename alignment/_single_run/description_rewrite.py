"""Rewrite a prompt description with the alignment model, never losing or inventing variables.

A rewritten template that drops ``{item}`` breaks every later run; one that invents ``{tone}``
breaks them too. Each rewrite is checked for exactly the variables of the original. A wrong
rewrite is sent back with the problem named, up to ``REWRITE_ATTEMPTS`` tries in all, and then
refused with a ``PromptVariablesChangedError``; nothing is changed by a refused rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignment._prompting.quoting import fill_blocks
from alignment._prompting.structured import ask_json
from alignment._prompting.template import template_variables
from alignment._providers.base import ModelHelper
from alignment._single_run.prompts import (
    APPLY_PRINCIPLES,
    DESCRIPTION_SCHEMA,
    EDIT_FROM_FEEDBACK,
    numbered,
    variable_rule,
    with_retry_note,
)
from alignment.errors import (
    AlignmentAnswerError,
    AnswerFormatError,
    PromptVariablesChangedError,
    TemplateError,
)

# A little freedom helps the wording read naturally; more invites drift from the original.
REWRITE_TEMPERATURE = 0.2
REWRITE_ATTEMPTS = 3


def _checked_rewrite(helper: ModelHelper, prompt: str, expected: list[str]) -> str:
    problem: str | None = None
    failure: AlignmentAnswerError | None = None
    for _ in range(REWRITE_ATTEMPTS):
        try:
            answer = ask_json(
                helper, with_retry_note(prompt, problem), DESCRIPTION_SCHEMA, REWRITE_TEMPERATURE
            )
        except AnswerFormatError as error:
            problem = str(error)
            failure = AlignmentAnswerError(f"the alignment model's rewrite was unreadable: {error}")
            continue
        text = answer.get("prompt") if isinstance(answer, dict) else None
        if not isinstance(text, str) or not text.strip():
            problem = "the reply had no rewritten template in 'prompt'"
            failure = AlignmentAnswerError(f"the alignment model's rewrite was empty: {answer!r}")
            continue
        try:
            found = template_variables(text)
        except TemplateError as error:
            problem = str(error)
            failure = PromptVariablesChangedError(expected, [], [])
            continue
        missing = [name for name in expected if name not in found]
        added = [name for name in found if name not in expected]
        if not missing and not added:
            return text.strip()
        failure = PromptVariablesChangedError(expected, missing, added)
        problem = (
            f"the template must keep exactly the placeholders {_spelled(expected)}; yours "
            f"lacked {_spelled(missing)} and added {_spelled(added)}"
        )
    raise failure or AlignmentAnswerError("no rewrite was attempted")


def _spelled(names: Sequence[str]) -> str:
    return ", ".join("{" + name + "}" for name in names) if names else "none"


def fold_principles(helper: ModelHelper, description: str, principles: Sequence[str]) -> str:
    """``description`` rewritten to follow ``principles``, with the same variables."""
    expected = template_variables(description)
    prompt = fill_blocks(
        APPLY_PRINCIPLES,
        {
            "description": description,
            "principles": numbered(principles, "(none)"),
            "variable_rule": variable_rule(expected),
        },
        trusted={"variable_rule"},
    )
    return _checked_rewrite(helper, prompt, expected)


def edit_from_feedback(helper: ModelHelper, description: str, feedback: str) -> str:
    """``description`` rewritten as ``feedback`` asks, with the same variables."""
    if not feedback.strip():
        raise ValueError("the feedback is empty: say how the description should change")
    expected = template_variables(description)
    prompt = fill_blocks(
        EDIT_FROM_FEEDBACK,
        {
            "description": description,
            "feedback": feedback,
            "variable_rule": variable_rule(expected),
        },
        trusted={"variable_rule"},
    )
    return _checked_rewrite(helper, prompt, expected)
