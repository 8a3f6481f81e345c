"""Rule changes a training step can make to a checkpoint: add, rewrite or delete one rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint, LabelValue

Action = Literal["ADD", "EDIT", "DELETE"]

_FIRST_NUMBER = re.compile(r"(?<![A-Za-z0-9_])\d+(?![0-9])")


@dataclass(frozen=True)
class MutationOption:
    """One change offered to the training model, numbered as the model sees it."""

    number: int
    action: Action
    label: LabelValue
    rule_id: str | None = None

    def describe(self, label_name: str) -> str:
        if self.action == "ADD":
            return f'Add a new rule for "{self.label}"'
        verb = "Rewrite" if self.action == "EDIT" else "Delete"
        return f'{verb} rule {self.rule_id} of "{self.label}"'


def rule_id_for(number: int) -> str:
    return f"R{number}"


def mutation_options(
    checkpoint: LabelerCheckpoint, labels: Sequence[LabelValue]
) -> list[MutationOption]:
    """Per label: add a rule; per rule: rewrite it, or delete it if its label keeps another."""
    options: list[MutationOption] = []

    def offer(action: Action, label: LabelValue, rule_id: str | None = None) -> None:
        options.append(MutationOption(len(options) + 1, action, label, rule_id))

    for label in labels:
        offer("ADD", label)
        rules = checkpoint.rules_for(label)
        for rule in rules:
            offer("EDIT", label, rule["id"])
            if len(rules) > 1:
                offer("DELETE", label, rule["id"])
    return options


def parse_choice(answer: str, options: Sequence[MutationOption]) -> MutationOption | None:
    """The option whose number the answer starts with (its first whole number), or None.

    Only a number that was offered counts: "10" is never read as option 1, a rule id such as
    "R2" is not a number, and an answer without an offered number is unreadable.
    """
    match = _FIRST_NUMBER.search(answer)
    if match is None:
        return None
    chosen = int(match.group())
    return next((option for option in options if option.number == chosen), None)


def clean_rule_text(answer: str, rule_id: str | None = None) -> str:
    """The rule in a model's answer: its first line, without an echoed "R4:" or "Rule:" label."""
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    text = lines[0]
    names = "|".join(["rule"] + ([re.escape(rule_id)] if rule_id else []))
    echoed = re.compile(
        rf"^(?:rule\s+)?(?:\[(?:{names})\]\s*[:.\-]?|(?:{names})\s*[:.\-])\s*", re.IGNORECASE
    )
    text = echoed.sub("", text, count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def apply_mutation(
    checkpoint: LabelerCheckpoint, option: MutationOption, rule_text: str | None
) -> tuple[LabelerCheckpoint, str]:
    """A new checkpoint with the change made, and a one-line description of the change.

    An added rule takes the id ``R<free_rule_number()>``: the id the model was shown when it
    wrote the rule, and never one in use.
    """
    evolved = checkpoint.copy()
    if option.action == "ADD":
        if not rule_text:
            raise ValueError("adding a rule needs its text")
        number = checkpoint.free_rule_number()
        new_id = rule_id_for(number)
        evolved.attributes.append(LabelerAttribute(id=new_id, value=rule_text, label=option.label))
        evolved.next_rule_number = number + 1
        return evolved, f'added {new_id} for "{option.label}": {rule_text}'
    target = _find(evolved, option)
    if option.action == "EDIT":
        if not rule_text:
            raise ValueError("rewriting a rule needs its new text")
        old = target["value"]
        target["value"] = rule_text
        return evolved, f'rewrote {target["id"]} of "{option.label}": {old} -> {rule_text}'
    evolved.attributes = [rule for rule in evolved.attributes if rule["id"] != target["id"]]
    return evolved, f'deleted {target["id"]} of "{option.label}": {target["value"]}'


def _find(checkpoint: LabelerCheckpoint, option: MutationOption) -> LabelerAttribute:
    rule = checkpoint.rule(option.rule_id or "")
    if rule is None:
        raise ValueError(f"the checkpoint has no rule {option.rule_id}")
    return rule
