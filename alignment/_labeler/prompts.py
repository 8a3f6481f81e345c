"""The labeler's prompt texts, and the functions that fill them in.

Every prompt shows an example's inputs as ``<column>value</column>`` lines and ends with a
short line that invites a one-line answer ("Rule R4:", "Option number:"), so answers are easy to
read back and the classification answer can be cut at the first newline.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from alignment._labeler.examples import Example, truncate_words
from alignment._labeler.mutations import MutationOption
from alignment._labeler.scoring import LabelSet
from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint, LabelValue
from alignment._prompting.quoting import neutralise_tags


@dataclass(frozen=True)
class TaskSpec:
    """What the classifier is for; shared by every prompt."""

    task_description: str
    label_name: str
    labels: LabelSet
    input_names: tuple[str, ...]
    truncation_length: int | None


@dataclass(frozen=True)
class WrongPrediction:
    """An example the current rules got wrong, with what the model said."""

    example: Example
    raw_answer: str
    predicted: LabelValue
    correct: LabelValue


def _quoted(value: object) -> str:
    return f'"{value}"'


def _label_choices(task: TaskSpec) -> str:
    quoted = [_quoted(text) for text in task.labels.texts]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _example_block(task: TaskSpec, example: Example) -> str:
    # A value may mention a column's tag; it must not close its own block or open another's.
    quoted = {
        name: neutralise_tags(truncate_words(value, task.truncation_length), task.input_names)
        for name, value in example.inputs
    }
    return "\n".join(f"<{name}>{quoted[name]}</{name}>" for name, _ in example.inputs)


def _rulebook(task: TaskSpec, checkpoint: LabelerCheckpoint) -> str:
    lines = [
        f"Task: {task.task_description}",
        f'Each example gets one value of "{task.label_name}": {_label_choices(task)}.',
        "",
        f'Current rules, by value of "{task.label_name}":',
    ]
    for label, text in zip(task.labels.values, task.labels.texts, strict=True):
        lines.append(f"{_quoted(text)}:")
        rules = checkpoint.rules_for(label)
        lines.extend(f"  [{rule['id']}] {rule['value']}" for rule in rules)
        if not rules:
            lines.append("  (no rules yet)")
    return "\n".join(lines)


def _mistake(task: TaskSpec, wrong: WrongPrediction) -> str:
    return (
        "A classifier using these rules labelled this example wrongly:\n"
        f"{_example_block(task, wrong.example)}\n"
        f"It answered {_quoted(wrong.raw_answer.strip())}, which was read as "
        f"{_quoted(wrong.predicted)}; the correct value is {_quoted(wrong.correct)}."
    )


def classification_prompt(
    task: TaskSpec, checkpoint: LabelerCheckpoint, example: Example, label_order_seed: int
) -> str:
    """Ask for the label of one example, each label shown with the rules that call for it.

    Labels are listed in an order shuffled per example (a model tends to favour the first
    option), but deterministically, so the same example and rules always give the same prompt
    and the answer can be cached.
    """
    order = list(range(len(task.labels)))
    shuffle_key = f"{label_order_seed}\x1f{example.text()}".encode()
    random.Random(zlib.crc32(shuffle_key)).shuffle(order)
    options = []
    for position in order:
        rules = checkpoint.rules_for(task.labels.values[position])
        reasons = " ".join(rule["value"].strip() for rule in rules) or "(no rules yet)"
        options.append(f"- {_quoted(task.labels.texts[position])}: {reasons}")
    return (
        f"Task: {task.task_description}\n\n"
        f'Choose the value of "{task.label_name}" for the example below. Each value is listed '
        "with the rules that call for it.\n\n" + "\n".join(options) + "\n\n"
        f"Example:\n{_example_block(task, example)}\n\n"
        "Which label fits this example best? Answer with the label exactly as written above "
        f"({_label_choices(task)}) and nothing else.\n"
        f"{task.label_name}:"
    )


def initial_rule_prompt(task: TaskSpec, label_text: str, examples: Sequence[Example]) -> str:
    """Ask for a first rule for one label, from a few examples that carry it."""
    shown = "\n\n".join(_example_block(task, example) for example in examples)
    return (
        f"Task: {task.task_description}\n\n"
        f'We are writing a rulebook that tells a classifier when "{task.label_name}" is '
        f"{_quoted(label_text)}. Start it with one rule. A good rule states a general property "
        "of an example that a careful reader can check (its topic, tone, wording or intent), "
        "not a summary of the examples shown.\n\n"
        'For instance, for "is_sour" = "yes", given lemons and unripe plums, a good rule is: '
        "The food tastes acidic, as citrus and unripe fruit do.\n"
        'For "needs_reply" = "yes", given emails asking when a meeting starts, a good rule is: '
        "The message asks the reader a question or requests an action.\n\n"
        f'Examples where "{task.label_name}" is {_quoted(label_text)}:\n{shown}\n\n'
        f"Write one rule for {_quoted(label_text)}, on a single line, without explanation.\n"
        "Rule:"
    )


def feedback_prompt(task: TaskSpec, checkpoint: LabelerCheckpoint, wrong: WrongPrediction) -> str:
    """Ask why the rules led to a wrong label."""
    return (
        f"{_rulebook(task, checkpoint)}\n\n{_mistake(task, wrong)}\n\n"
        f"Explain why the correct value is {_quoted(wrong.correct)}, and which rule is missing, "
        "too broad or misleading. Name features of the example that would also decide similar "
        "examples. Answer in one short paragraph.\n"
        "Explanation:"
    )


def choice_prompt(
    task: TaskSpec,
    checkpoint: LabelerCheckpoint,
    wrong: WrongPrediction,
    feedback: str,
    options: Sequence[MutationOption],
    rejected_answer: str | None = None,
) -> str:
    """Ask which rule change to make, as the number of one of ``options``."""
    listed = "\n".join(f"{option.number}. {option.describe(task.label_name)}" for option in options)
    retry = (
        ""
        if rejected_answer is None
        else f"Your previous reply, {_quoted(rejected_answer.strip())}, was not one of these "
        "numbers.\n"
    )
    return (
        f"{_rulebook(task, checkpoint)}\n\n{_mistake(task, wrong)}\n"
        f"Why it went wrong: {feedback.strip()}\n\n"
        "Which one change to the rules would best fix this mistake without breaking other "
        f"examples?\n{listed}\n{retry}"
        "Reply with the number of one option and nothing else.\n"
        "Option number:"
    )


def add_rule_prompt(
    task: TaskSpec,
    checkpoint: LabelerCheckpoint,
    wrong: WrongPrediction,
    feedback: str,
    label_text: str,
    new_rule_id: str,
) -> str:
    """Ask for the text of a new rule; ``new_rule_id`` is the id the rule will be stored under."""
    return (
        f"{_rulebook(task, checkpoint)}\n\n{_mistake(task, wrong)}\n"
        f"Why it went wrong: {feedback.strip()}\n\n"
        f"Write a new rule, {new_rule_id}, for {_quoted(label_text)}, so that the classifier gets "
        "this example and similar ones right. It must not repeat an existing rule, and it should "
        "state a general, checkable property rather than describe this one example.\n"
        f"Reply with the text of rule {new_rule_id} only, on one line.\n"
        f"{new_rule_id}:"
    )


def edit_rule_prompt(
    task: TaskSpec,
    checkpoint: LabelerCheckpoint,
    wrong: WrongPrediction,
    feedback: str,
    rule: LabelerAttribute,
) -> str:
    """Ask for a rewritten version of an existing rule."""
    return (
        f"{_rulebook(task, checkpoint)}\n\n{_mistake(task, wrong)}\n"
        f"Why it went wrong: {feedback.strip()}\n\n"
        f"Rewrite rule {rule['id']} for {_quoted(rule['label'])} so that the classifier gets "
        "this example and similar ones right. Keep what the rule already gets right, and keep "
        "it a general, checkable property rather than a description of this one example.\n"
        f"Reply with the new text of rule {rule['id']} only, on one line.\n"
        f"{rule['id']}:"
    )
