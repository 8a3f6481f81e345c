"""Draft feedback of one kind on an answer, so people can pick a reason instead of typing one.

Only kinds with suggestion texts in ``FEEDBACK_KINDS`` (critiques, kudos) can be drafted; any
other kind raises ``UnknownFeedbackKindError`` before the model is asked.

Models repeat themselves and sometimes give fewer items than asked. Suggestions are de-duplicated
(ignoring case, spacing and end punctuation); when too few distinct ones remain, the model is
asked again for different ones, and if it still falls short an ``AlignmentAnswerError`` says so.
"""

from __future__ import annotations

from typing import Any

from alignment._prompting.structured import ask_json
from alignment._prompting.template import render_template
from alignment._providers.base import ModelHelper
from alignment._single_run.feedback_kinds import FEEDBACK_KINDS, FeedbackKind
from alignment._single_run.principle_proposals import FeedbackTarget
from alignment._single_run.prompts import (
    SUGGESTION_AVOID,
    SUGGESTIONS,
    SUGGESTIONS_SCHEMA,
    numbered,
    run_context,
    with_retry_note,
)
from alignment.errors import AlignmentAnswerError, AnswerFormatError

# Some sampling spread, so that asking again can yield something new.
SUGGESTION_TEMPERATURE = 0.7
SUGGESTION_ATTEMPTS = 2


def _key(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".!?;, ")


def _items(answer: Any) -> list[str]:
    """The suggestion strings in a parsed answer (an object with a list, or a bare list)."""
    items = answer.get("suggestions") if isinstance(answer, dict) else answer
    if not isinstance(items, list):
        raise AnswerFormatError(f"expected a list of suggestions, got {answer!r}"[:300])
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def suggestion_prompt(
    kind: FeedbackKind, target: FeedbackTarget, count: int, already: list[str]
) -> str:
    texts = FEEDBACK_KINDS.suggestion_texts(kind)
    context = run_context(target.description, target.variables, target.sent_prompt, target.response)
    avoid = render_template(SUGGESTION_AVOID, {"already": numbered(already, "")}) if already else ""
    return render_template(
        SUGGESTIONS,
        {
            "count": count,
            "feedback_kind": texts.noun,
            "context": context,
            "guidance": texts.guidance,
            "avoid": avoid,
        },
    )


def suggest_feedback(
    helper: ModelHelper, kind: FeedbackKind, target: FeedbackTarget, count: int = 3
) -> list[str]:
    """Exactly ``count`` distinct suggestions of ``kind`` for the answer in ``target``."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    found: list[str] = []
    problem: str | None = None
    for _ in range(SUGGESTION_ATTEMPTS):
        prompt = suggestion_prompt(kind, target, count - len(found), found)
        try:
            answer = ask_json(
                helper, with_retry_note(prompt, problem), SUGGESTIONS_SCHEMA, SUGGESTION_TEMPERATURE
            )
            items = _items(answer)
        except AnswerFormatError as error:
            problem = str(error)
            continue
        problem = None
        seen = {_key(text) for text in found}
        for text in items:
            if _key(text) not in seen:
                seen.add(_key(text))
                found.append(text)
        if len(found) >= count:
            return found[:count]
    shortfall = f"; the last answer was unusable because {problem}" if problem else ""
    raise AlignmentAnswerError(
        f"the alignment model gave {len(found)} distinct {kind} suggestion(s) after "
        f"{SUGGESTION_ATTEMPTS} tries, fewer than the {count} asked for{shortfall}"
    )
