"""Decide whether a free-form reply to an answer is feedback, and of which kind.

People reply in a run's thread for many reasons: to praise or fault the answer, to paste the
answer they wanted, or just to talk to each other. The alignment model reads the reply next to
the answer and says which; only replies it calls feedback become principle changes. Its answer is
checked like every other: an unusable one is asked again once with the problem named, and if
the second is no better the reply is treated as not feedback, because changing a prompt on a
guess is worse than missing one comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alignment._prompting.answer_retry import ask_json_until_usable
from alignment._prompting.quoting import fill_blocks
from alignment._providers.base import ModelHelper
from alignment._single_run.feedback_kinds import FEEDBACK_KINDS, FeedbackKind, FeedbackKinds
from alignment.errors import AnswerFormatError

# What the classifier answers for a reply that is no feedback at all; never a feedback kind.
NOT_FEEDBACK_KIND = "not_feedback"
NOT_FEEDBACK_MEANING = (
    "anything else, such as a question to a colleague, thanks, scheduling or chat "
    "that does not judge the answer."
)

CLASSIFY_TEMPERATURE = 0.0
CLASSIFY_ATTEMPTS = 2
# Enough of an answer for the model to tell what the reply refers to, without huge prompts.
ANSWER_EXCERPT_CHARS = 4000

CLASSIFY_REPLY = """\
A team is tuning a prompt for an AI model inside a chat thread. The model's answer was posted in \
the thread, and then someone wrote the reply below. Decide what the reply is.

## The model's answer
<answer>
{answer}
</answer>

## The reply
<reply>
{reply}
</reply>

Kinds:
{kinds}

When the reply is feedback, restate it in "feedback" as one clear sentence about the \
answer{restatements}. When it is not, leave "feedback" empty.

Reply with a JSON object only, no other text:
{"kind": {kind_choices}, "feedback": "<text or empty>"}"""


def reply_kinds(kinds: FeedbackKinds = FEEDBACK_KINDS) -> tuple[str, ...]:
    """Every answer the classifier may give: the feedback kinds, then ``not_feedback``."""
    return (*kinds.names, NOT_FEEDBACK_KIND)


def classify_schema(kinds: FeedbackKinds = FEEDBACK_KINDS) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(reply_kinds(kinds))},
            "feedback": {"type": "string"},
        },
        "required": ["kind", "feedback"],
    }


def classify_prompt(reply: str, answer: str, kinds: FeedbackKinds = FEEDBACK_KINDS) -> str:
    """The question sent to the model, listing every registered kind and what it means."""
    meanings = [(kind.name, kind.meaning) for kind in kinds]
    meanings.append((NOT_FEEDBACK_KIND, NOT_FEEDBACK_MEANING))
    notes = [f"for a {kind.name}, {kind.restatement}" for kind in kinds if kind.restatement]
    return fill_blocks(
        CLASSIFY_REPLY,
        {
            "answer": _excerpt(answer),
            "reply": reply,
            "kinds": "\n".join(f'- "{name}": {meaning}' for name, meaning in meanings),
            "kind_choices": " | ".join(f'"{name}"' for name in reply_kinds(kinds)),
            "restatements": f" ({'; '.join(notes)})" if notes else "",
        },
        trusted={"kinds", "kind_choices", "restatements"},
    )


REPLY_KINDS = reply_kinds()
CLASSIFY_SCHEMA: dict[str, Any] = classify_schema()


@dataclass(frozen=True)
class ReplyClassification:
    """What a reply is; ``feedback`` is the text to learn from (empty when not feedback)."""

    kind: FeedbackKind  # a registered feedback kind, or ``NOT_FEEDBACK_KIND``
    feedback: str

    @property
    def is_feedback(self) -> bool:
        return self.kind != NOT_FEEDBACK_KIND


NOT_FEEDBACK = ReplyClassification(NOT_FEEDBACK_KIND, "")


def _excerpt(answer: str) -> str:
    if len(answer) <= ANSWER_EXCERPT_CHARS:
        return answer
    return answer[:ANSWER_EXCERPT_CHARS] + "\n[... the rest of the answer is left out ...]"


def read_classification(answer: Any, reply: str) -> ReplyClassification:
    """Check a parsed answer; raises AnswerFormatError when it cannot be used."""
    if not isinstance(answer, dict):
        raise AnswerFormatError(f"expected a JSON object, got {answer!r}"[:300])
    kind = str(answer.get("kind", "")).strip().lower()
    if kind not in REPLY_KINDS:
        raise AnswerFormatError(f"kind must be one of {', '.join(REPLY_KINDS)}, got {kind!r}")
    if kind == NOT_FEEDBACK_KIND:
        return NOT_FEEDBACK
    feedback = str(answer.get("feedback") or "").strip()
    # The person's own words are a fine fallback when the restatement is missing.
    return ReplyClassification(kind, feedback or reply.strip())


def classify_reply(helper: ModelHelper, reply: str, answer: str) -> ReplyClassification:
    """Ask ``helper`` what ``reply`` (written after ``answer``) is; never raises on a bad answer."""
    if not reply.strip():
        return NOT_FEEDBACK
    prompt = classify_prompt(reply, answer)
    try:
        return ask_json_until_usable(
            helper,
            prompt,
            CLASSIFY_SCHEMA,
            CLASSIFY_TEMPERATURE,
            lambda parsed: read_classification(parsed, reply),
            CLASSIFY_ATTEMPTS,
        )
    except AnswerFormatError:
        return NOT_FEEDBACK
