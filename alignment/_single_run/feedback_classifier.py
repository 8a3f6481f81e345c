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
from typing import Any, Literal, cast, get_args

from alignment._prompting.answer_retry import ask_json_until_usable
from alignment._prompting.template import render_template
from alignment._providers.base import ModelHelper
from alignment.errors import AnswerFormatError

ReplyKind = Literal["kudos", "critique", "rewrite", "not_feedback"]
REPLY_KINDS: tuple[str, ...] = get_args(ReplyKind)

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
- "kudos": the reply says something about the answer is good and worth keeping.
- "critique": the reply says something about the answer is wrong, missing or should change.
- "rewrite": the reply is itself a better version of the answer (the text the person wanted).
- "not_feedback": anything else, such as a question to a colleague, thanks, scheduling or chat \
that does not judge the answer.

When the reply is feedback, restate it in "feedback" as one clear sentence about the answer (for \
a rewrite, copy the rewritten answer as written). When it is not, leave "feedback" empty.

Reply with a JSON object only, no other text:
{"kind": "kudos" | "critique" | "rewrite" | "not_feedback", "feedback": "<text or empty>"}"""

CLASSIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(REPLY_KINDS)},
        "feedback": {"type": "string"},
    },
    "required": ["kind", "feedback"],
}


@dataclass(frozen=True)
class ReplyClassification:
    """What a reply is; ``feedback`` is the text to learn from (empty when not feedback)."""

    kind: ReplyKind
    feedback: str

    @property
    def is_feedback(self) -> bool:
        return self.kind != "not_feedback"


NOT_FEEDBACK = ReplyClassification("not_feedback", "")


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
    if kind == "not_feedback":
        return NOT_FEEDBACK
    feedback = str(answer.get("feedback") or "").strip()
    # The person's own words are a fine fallback when the restatement is missing.
    return ReplyClassification(cast(ReplyKind, kind), feedback or reply.strip())


def classify_reply(helper: ModelHelper, reply: str, answer: str) -> ReplyClassification:
    """Ask ``helper`` what ``reply`` (written after ``answer``) is; never raises on a bad answer."""
    if not reply.strip():
        return NOT_FEEDBACK
    prompt = render_template(CLASSIFY_REPLY, {"answer": _excerpt(answer), "reply": reply})
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
