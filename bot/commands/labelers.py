"""Read the labeler commands: `train`, `cancel`, `notify` and `label`, from `/align` or a mention.

They share the prompt commands' tokenizer (quotes, Slack references, escaping) and name rules,
since prompts and labelers live in one name space. ``parse_training_command`` answers None for
text that is not one of these commands, so the prompt parser can take it from there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from alignment.labeler import MAX_EXPERTS
from bot.commands.prompts import check_prompt_name
from bot.commands.text import (
    CommandSyntaxError,
    SlackRef,
    Token,
    resolve_text,
    split_first_word,
    text_after_mention,
    tokenize_with_usage,
)

DEFAULT_STEPS = 3
MAX_STEPS = 20

TRAINING_USAGE = {
    "train": '/align train NAME [task="..."] [steps=3] [notify=#channel] [label=COLUMN] '
    "[inputs=COLUMN,...] [threshold=0.5] [experts=2] [target=0.9] [delta=0.05]",
    "cancel": "/align cancel NAME",
    "notify": "/align notify NAME #channel target=0.9 delta=0.05",
    "label": "/align label NAME column=value ...   (or text, when the labeler reads one column)",
}
UPLOAD_TRAIN_USAGE = (
    '@alignbot train NAME label=COLUMN inputs=COLUMN,... task="..." steps=3 notify=#channel'
)
EXPERTS_HELP = (
    f"`experts=2` (up to {MAX_EXPERTS}) trains a mixture of experts: the rows are grouped by "
    "their embeddings, each group gets a rule set of its own, and each example is labelled by "
    "the expert of its group."
)
THRESHOLD_HELP = (
    "When the label column holds scores (such as 0.83), `threshold=0.5` turns them into "
    "labels: True where the score is at least 0.5, False otherwise."
)


def training_help_lines() -> list[str]:
    """The labeler commands, one line each, for `/align help`."""
    return [
        "*Labelers*",
        "• `/align train NAME`: train a labeler from a labelled CSV, chosen in a form; settings "
        f"typed after the name fill the form in. Or upload the CSV with the message "
        f"`{UPLOAD_TRAIN_USAGE}`. More: `/align help train`.",
        f"• `{TRAINING_USAGE['cancel']}`: stop a labeler's training (the last finished step is "
        "kept) or a prompt's comparison.",
        f"• `{TRAINING_USAGE['notify']}`: where and when accuracy notices go.",
        f"• `{TRAINING_USAGE['label']}`: the labeler's answer for one example. Upload a CSV "
        'with "@alignbot label NAME" to label every row.',
        "`/align list`, `/align show NAME` and `/align rollback NAME VERSION` cover labelers too.",
    ]


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]*")


@dataclass(frozen=True)
class TrainLabeler:
    """Train labeler ``name`` from a CSV; columns left out are chosen later or defaulted."""

    name: str
    label: str | None = None
    inputs: tuple[str, ...] = ()
    task: str | None = None
    steps: int = DEFAULT_STEPS
    notify_channel: str | None = None
    target: float | None = None
    delta: float | None = None
    # The label column holds scores: True where score >= threshold, False otherwise.
    threshold: float | None = None
    # A mixture of this many experts (1: one rule set).
    experts: int = 1


@dataclass(frozen=True)
class CancelTraining:
    name: str


@dataclass(frozen=True)
class SetNotifications:
    """Change where and when accuracy notices go; fields left None keep their setting."""

    name: str
    channel: str | None = None
    target: float | None = None
    delta: float | None = None

    @property
    def changes_nothing(self) -> bool:
        return self.channel is None and self.target is None and self.delta is None


@dataclass(frozen=True)
class LabelWithLabeler:
    """Label one example (``values`` by column, or ``text``) or, with a file, every row of it."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # everything after the name, as typed (None when nothing was)


TrainingCommand = TrainLabeler | CancelTraining | SetNotifications | LabelWithLabeler


def _tokens(raw: str, action: str) -> list[Token]:
    return tokenize_with_usage(raw, TRAINING_USAGE[action])


def _name(tokens: list[Token], action: str) -> str:
    if not tokens:
        raise CommandSyntaxError(f"`{action}` needs a labeler name.", TRAINING_USAGE[action])
    return check_prompt_name(tokens[0].text, TRAINING_USAGE[action])


def _pairs(tokens: list[Token], action: str, usage: str | None = None) -> dict[str, str]:
    """``key=value`` tokens as a dict; anything else is refused with the usage."""
    usage = usage or TRAINING_USAGE[action]
    pairs: dict[str, str] = {}
    for token in tokens:
        key, has_equals, value = token.text.partition("=")
        if token.quoted or not has_equals or not key:
            raise CommandSyntaxError(
                f"`{token.text}` is not a `key=value` setting. Quote values with spaces: "
                'task="Is this comment hateful?"',
                usage,
            )
        key = key.lower()
        if key in pairs:
            raise CommandSyntaxError(f"`{key}` is given twice; give each setting once.", usage)
        pairs[key] = value
    return pairs


def _fraction(key: str, value: str, action: str) -> float:
    try:
        number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    except ValueError:
        number = -1.0
    if not 0.0 < number <= 1.0:
        raise CommandSyntaxError(
            f"`{key}={value}` must be a number above 0 and at most 1, e.g. `{key}=0.9`.",
            TRAINING_USAGE[action],
        )
    return number


def read_threshold(text: str) -> float:
    """A score threshold as typed: a finite number, with a decimal point or comma.

    Raises ValueError with a message that says what to type, for the grammar and the form.
    """
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(
            f"`threshold={text}` must be a number, e.g. `threshold=0.5`: rows whose score is "
            "at least the threshold are labelled True, the others False."
        )
    return number


def read_experts(text: str) -> int:
    """A number of experts as typed: a whole number from 1 to ``MAX_EXPERTS``.

    Raises ValueError with a message that says what to type, for the grammar and the form.
    """
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_EXPERTS:
        raise ValueError(
            f"`experts={text}` must be a whole number from 1 to {MAX_EXPERTS}, e.g. `experts=2`: "
            "the rows are grouped, and each group gets a rule set of its own."
        )
    return int(value)


def channel_of(token: Token) -> str | None:
    """The channel a token names: the id of a ``<#C…>`` reference, or ``#name`` as typed."""
    refs: tuple[SlackRef, ...] = token.refs
    for ref in refs:
        if ref.kind == "channel":
            return ref.target
    if token.text.startswith("#") and len(token.text) > 1:
        return token.text
    return None


def _channel_value(value_token: Token, key: str, action: str) -> str:
    channel = channel_of(value_token)
    if channel is None:
        raise CommandSyntaxError(
            f"`{key}=` needs a channel, e.g. `{key}=#ml-alerts`.", TRAINING_USAGE[action]
        )
    return channel


def _value_token(token: Token) -> Token:
    """The part after ``=`` as a token of its own (so channel references can be read)."""
    _, _, value = token.text.partition("=")
    return Token(value, token.quoted, token.refs)


def _parse_train(raw_args: str) -> TrainLabeler:
    usage = TRAINING_USAGE["train"]
    tokens = _tokens(raw_args, "train")
    name = _name(tokens, "train")
    settings = _pairs(tokens[1:], "train", usage)
    by_key = {token.text.partition("=")[0].lower(): token for token in tokens[1:]}
    known = {
        "label",
        "inputs",
        "input",
        "task",
        "steps",
        "notify",
        "threshold",
        "experts",
        "target",
        "delta",
    }
    unknown = sorted(set(settings) - known)
    if unknown:
        raise CommandSyntaxError(
            f"`{unknown[0]}` is not a setting of `train`; use label, inputs, task, steps, "
            "notify, threshold, experts, target and delta.",
            usage,
        )
    experts = 1
    if "experts" in settings:
        try:
            experts = read_experts(settings["experts"])
        except ValueError as error:
            raise CommandSyntaxError(str(error), usage) from error
    threshold = None
    if "threshold" in settings:
        try:
            threshold = read_threshold(settings["threshold"])
        except ValueError as error:
            raise CommandSyntaxError(str(error), usage) from error
    steps = DEFAULT_STEPS
    if "steps" in settings:
        text = settings["steps"]
        if not text.isdigit() or not 1 <= int(text) <= MAX_STEPS:
            raise CommandSyntaxError(
                f"`steps={text}` must be a whole number from 1 to {MAX_STEPS}.", usage
            )
        steps = int(text)
    inputs_text = settings.get("inputs", settings.get("input", ""))
    inputs = tuple(part.strip() for part in inputs_text.split(",") if part.strip())
    label = settings.get("label", "").strip() or None
    task = settings.get("task", "").strip() or None
    notify = None
    if "notify" in settings:
        notify = _channel_value(_value_token(by_key["notify"]), "notify", "train")
    return TrainLabeler(
        name=name,
        label=label,
        inputs=inputs,
        task=task,
        steps=steps,
        notify_channel=notify,
        target=_fraction("target", settings["target"], "train") if "target" in settings else None,
        delta=_fraction("delta", settings["delta"], "train") if "delta" in settings else None,
        threshold=threshold,
        experts=experts,
    )


def _parse_cancel(raw_args: str) -> CancelTraining:
    tokens = _tokens(raw_args, "cancel")
    name = _name(tokens, "cancel")
    if len(tokens) > 1:
        raise CommandSyntaxError(
            "`cancel` takes only a labeler or prompt name.", TRAINING_USAGE["cancel"]
        )
    return CancelTraining(name)


def _parse_notify(raw_args: str) -> SetNotifications:
    usage = TRAINING_USAGE["notify"]
    tokens = _tokens(raw_args, "notify")
    name = _name(tokens, "notify")
    channel: str | None = None
    settings: list[Token] = []
    for token in tokens[1:]:
        found = channel_of(token) if "=" not in token.text else None
        if found is not None:
            if channel is not None:
                raise CommandSyntaxError("Give one channel.", usage)
            channel = found
        else:
            settings.append(token)
    pairs = _pairs(settings, "notify")
    unknown = sorted(set(pairs) - {"target", "delta", "channel"})
    if unknown:
        raise CommandSyntaxError(
            f"`{unknown[0]}` is not a setting of `notify`; use a #channel, target and delta.",
            usage,
        )
    if "channel" in pairs:
        by_key = {token.text.partition("=")[0].lower(): token for token in settings}
        channel = _channel_value(_value_token(by_key["channel"]), "channel", "notify")
    return SetNotifications(
        name=name,
        channel=channel,
        target=_fraction("target", pairs["target"], "notify") if "target" in pairs else None,
        delta=_fraction("delta", pairs["delta"], "notify") if "delta" in pairs else None,
    )


def _parse_label(raw_args: str) -> LabelWithLabeler:
    raw_name, rest = split_first_word(raw_args)
    name = _name(_tokens(raw_name, "label"), "label")
    text = resolve_text(rest).strip() or None
    tokens = _tokens(rest, "label")
    values: dict[str, str] = {}
    # Column values only when every word is ``column=value``; any other text is the example.
    if tokens and all(_is_pair(token) for token in tokens):
        for token in tokens:
            key, _, value = token.text.partition("=")
            values[key.strip()] = value
    return LabelWithLabeler(name=name, values=values, text=text)


def _is_pair(token: Token) -> bool:
    key, has_equals, _ = token.text.partition("=")
    return bool(has_equals) and not token.quoted and bool(_KEY.fullmatch(key))


_PARSERS: dict[str, Callable[[str], TrainingCommand]] = {
    "train": _parse_train,
    "cancel": _parse_cancel,
    "notify": _parse_notify,
    "label": _parse_label,
}
TRAINING_WORDS = frozenset(_PARSERS)


def parse_training_command(raw: str) -> TrainingCommand | None:
    """The labeler command in ``raw`` (text after `/align` or the mention), or None if ``raw``
    is some other command. Raises ``CommandSyntaxError`` for a labeler command written wrong."""
    word, rest = split_first_word(raw)
    parser = _PARSERS.get(resolve_text(word).lower()) if word else None
    return None if parser is None else parser(rest)


def addressed_training_text(raw: str, bot_user_id: str | None) -> str | None:
    """The text after the bot's mention when a message starts with it and a labeler command
    word (``<@BOT> train spam label=x`` gives ``train spam label=x``); None otherwise."""
    rest = text_after_mention(raw, bot_user_id)
    if rest is None:
        return None
    word, _ = split_first_word(rest)
    if resolve_text(word).lower() not in TRAINING_WORDS:
        return None
    return rest.strip()
