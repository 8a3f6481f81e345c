"""Turn one piece of feedback on one answer into one principle change, asking the alignment model.

Nothing here holds state: given the principles as they are, it returns the change it would make.
That is what lets a caller compare-and-set the result against a shared copy of the principles.

The model's answer is checked before it is trusted. An answer that cannot be used (unreadable
JSON, an unknown action, a principle number out of range, an empty principle) is never guessed
at: the model is asked once more with the problem spelled out, and if the second answer is no
better an ``AlignmentAnswerError`` names the problem. "No change" is a legitimate answer (the
feedback is already covered) and comes back as a decision without a change, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alignment._prompting.answer_retry import ask_json_until_usable
from alignment._prompting.quoting import fill_blocks
from alignment._providers.base import ModelHelper
from alignment._single_run.feedback_kinds import FEEDBACK_KINDS, FeedbackKind
from alignment._single_run.principles import PrincipleChange
from alignment._single_run.prompts import CHANGE_DECISION, CHANGE_SCHEMA, numbered, run_context
from alignment.errors import AlignmentAnswerError, AnswerFormatError

# A deterministic choice is wanted; variety comes from the feedback, not from sampling.
DECISION_TEMPERATURE = 0.0
DECISION_ATTEMPTS = 2


@dataclass(frozen=True)
class ChangeDecision:
    """What the alignment model decided: a change, or None with the reason nothing changes."""

    change: PrincipleChange | None
    reason: str


@dataclass(frozen=True)
class FeedbackTarget:
    """The run the feedback is about: the template, what filled it, what was sent, the answer."""

    description: str
    variables: Mapping[str, str]
    sent_prompt: str
    response: str


class _UnusableAnswer(AnswerFormatError):
    """The answer parsed, but says something that cannot be carried out."""


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _principle_number(raw: Any, count: int) -> int:
    """The 0-based position named by a 1-based number in the answer, or _UnusableAnswer."""
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise _UnusableAnswer(f"the index must be a principle number, got {raw!r}")
    if count == 0:
        raise _UnusableAnswer("there are no principles yet, so only add or none is possible")
    if not 1 <= raw <= count:
        raise _UnusableAnswer(f"index {raw} is out of range: choose a number from 1 to {count}")
    return raw - 1


def read_decision(answer: Any, principles: Sequence[str]) -> ChangeDecision:
    """Check a parsed answer against ``principles``; raises AnswerFormatError when unusable."""
    if not isinstance(answer, dict):
        raise _UnusableAnswer(f"expected a JSON object, got {answer!r}"[:300])
    action = str(answer.get("action", "")).strip().lower()
    reason = str(answer.get("reason") or "").strip()
    text = str(answer.get("principle") or "").strip()
    if action == "none":
        return ChangeDecision(None, reason or "the feedback is already covered")
    if action == "add":
        if not text:
            raise _UnusableAnswer("an add needs the new principle's text in 'principle'")
        if any(_normalised(text) == _normalised(p) for p in principles):
            return ChangeDecision(None, f"the principle already exists: {text}")
        return ChangeDecision(PrincipleChange("add", len(principles), None, text, reason), reason)
    if action in ("edit", "delete"):
        index = _principle_number(answer.get("index"), len(principles))
        old = principles[index]
        if action == "delete":
            return ChangeDecision(PrincipleChange("delete", index, old, None, reason), reason)
        if not text:
            raise _UnusableAnswer("an edit needs the principle's new wording in 'principle'")
        if text == old:
            return ChangeDecision(None, f"the edit left principle {index + 1} as it was")
        return ChangeDecision(PrincipleChange("edit", index, old, text, reason), reason)
    raise _UnusableAnswer(f"action must be add, edit, delete or none, got {action or 'nothing'!r}")


def decision_prompt(
    kind: FeedbackKind, feedback: str, principles: Sequence[str], target: FeedbackTarget
) -> str:
    """The instructions that ask for one change; exposed so callers can inspect what is sent."""
    block = FEEDBACK_KINDS.get(kind).decision_block
    context = run_context(target.description, target.variables, target.sent_prompt, target.response)
    return fill_blocks(
        CHANGE_DECISION,
        {
            "context": context,
            "feedback_block": fill_blocks(block, {"feedback": feedback}),
            "principles": numbered(principles, "(none yet)"),
        },
        trusted={"context", "feedback_block"},
    )


def decide_change(
    helper: ModelHelper,
    kind: FeedbackKind,
    feedback: str,
    principles: Sequence[str],
    target: FeedbackTarget,
) -> ChangeDecision:
    """Ask ``helper`` how ``feedback`` should change ``principles``; never mutates anything."""
    if not feedback.strip():
        raise ValueError("the feedback is empty: say what was good or what should change")
    prompt = decision_prompt(kind, feedback, principles, target)
    try:
        return ask_json_until_usable(
            helper,
            prompt,
            CHANGE_SCHEMA,
            DECISION_TEMPERATURE,
            lambda answer: read_decision(answer, principles),
            DECISION_ATTEMPTS,
        )
    except AnswerFormatError as error:
        raise AlignmentAnswerError(
            f"the alignment model gave no usable principle change after {DECISION_ATTEMPTS} "
            f"tries; the last answer was unusable because {error}. The principles are unchanged."
        ) from error
