"""Asking the judge model which of two answers is better, by the team's own principles.

The judge sees the input's variable values, the principles (numbered), the ideal answer when
there is one, and the two answers as "Answer 1" and "Answer 2". It replies with JSON: the winner
(1, 2 or tie), the numbers of the principles that decided it, and a one-line reason. An answer
naming a principle out of range, or no winner, is asked again with the problem named; when the
judge still gives nothing usable, that one verdict counts as a tie (never a guess).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from alignment._prompting.answer_retry import ask_json_until_usable
from alignment._prompting.quoting import fill_blocks, neutralise_tags, tag_names
from alignment._providers.base import ModelHelper
from alignment._single_run.prompts import numbered
from alignment.errors import AnswerFormatError

Slot = Literal["1", "2", "tie"]

JUDGE_TEMPERATURE = 0.0
JUDGE_ATTEMPTS = 2
# Reasons are shown in one Slack line and one CSV cell.
REASON_LIMIT = 300

JUDGE_PROMPT = """\
You judge answers produced by two versions of a prompt template for an AI model. A team wrote \
the principles below to say what a good answer does. Compare the two answers to the same input \
and decide which one follows the principles better.

## The input (variable values filled into the template)
{variables}

## The team's principles
{principles}
{ideal_block}
## Answer 1
<answer_1>
{first}
</answer_1>

## Answer 2
<answer_2>
{second}
</answer_2>

Judge only by the principles{ideal_rule}. Do not prefer an answer for its position or its length. \
If neither is better, say "tie".

Reply with a JSON object only, no other text:
{"winner": "1" | "2" | "tie", "principles": [<numbers of the principles that decided it>], \
"reason": "<one short sentence>"}"""

IDEAL_BLOCK = """
## The ideal answer the team wrote for this input
<ideal>
{ideal}
</ideal>
"""
IDEAL_RULE = " and by how close each answer comes to the ideal answer"
NO_PRINCIPLES = "(none written yet: judge which answer does what the input asks better)"

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["1", "2", "tie"]},
        "principles": {"type": "array", "items": {"type": "integer"}},
        "reason": {"type": "string"},
    },
    "required": ["winner", "principles", "reason"],
}


@dataclass(frozen=True)
class SlotVerdict:
    """One judge answer, in the judge's own terms: which slot won, and the principles' indexes."""

    winner: Slot
    principles: tuple[int, ...]
    reason: str
    usable: bool = True


def judge_prompt(
    values: Mapping[str, str],
    principles: Sequence[str],
    first: str,
    second: str,
    ideal: str | None,
) -> str:
    """The judge's instructions for one ordered pair of answers."""
    names = tag_names(JUDGE_PROMPT, IDEAL_BLOCK)
    shown = "\n".join(
        f"- {name}: {neutralise_tags(value, names)}" for name, value in values.items()
    )
    ideal_block = fill_blocks(IDEAL_BLOCK, {"ideal": ideal}) if ideal else ""
    return fill_blocks(
        JUDGE_PROMPT,
        {
            "variables": shown or "(no variables)",
            "principles": numbered([neutralise_tags(p, names) for p in principles], NO_PRINCIPLES),
            "ideal_block": ideal_block,
            "ideal_rule": IDEAL_RULE if ideal else "",
            "first": first,
            "second": second,
        },
        trusted={"variables", "principles", "ideal_block", "ideal_rule"},
    )


def read_verdict(answer: Any, principle_count: int) -> SlotVerdict:
    """Check a parsed judge answer; raises AnswerFormatError when it cannot be used."""
    if not isinstance(answer, dict):
        raise AnswerFormatError(f"expected a JSON object, got {answer!r}"[:300])
    winner = str(answer.get("winner", "")).strip().lower()
    if winner not in ("1", "2", "tie"):
        raise AnswerFormatError(f'winner must be "1", "2" or "tie", got {winner or "nothing"!r}')
    raw = answer.get("principles") or []
    if not isinstance(raw, list):
        raise AnswerFormatError(f"principles must be a list of numbers, got {raw!r}"[:300])
    indexes: list[int] = []
    for item in raw:
        number = int(item) if isinstance(item, str) and item.strip().isdigit() else item
        if not isinstance(number, int) or isinstance(number, bool):
            raise AnswerFormatError(f"principles must be numbers, got {item!r}"[:300])
        if not 1 <= number <= principle_count:
            raise AnswerFormatError(
                f"principle {number} does not exist: choose numbers from 1 to {principle_count}"
                if principle_count
                else "there are no principles, so the list must be empty"
            )
        if number - 1 not in indexes:
            indexes.append(number - 1)
    reason = " ".join(str(answer.get("reason") or "").split())
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 1] + "…"
    return SlotVerdict(winner, tuple(indexes), reason)  # type: ignore[arg-type]


def ask_judge(judge: ModelHelper, prompt: str, principle_count: int) -> SlotVerdict:
    """The judge's verdict on one ordered pair; an unusable answer becomes an unusable tie."""
    try:
        return ask_json_until_usable(
            judge,
            prompt,
            JUDGE_SCHEMA,
            JUDGE_TEMPERATURE,
            lambda answer: read_verdict(answer, principle_count),
            JUDGE_ATTEMPTS,
        )
    except AnswerFormatError as error:
        return SlotVerdict(
            "tie", (), f"the judge gave no usable verdict: {error}"[:REASON_LIMIT], False
        )
