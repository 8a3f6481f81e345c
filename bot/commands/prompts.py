"""The grammar of the prompt commands: `/align new | run | apply | ...`, typed or said to the bot.

Words are read as Slack delivers them through ``bot.commands.text``; the parser returns one typed
command, or raises ``CommandSyntaxError`` whose message says what is wrong and shows the usage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.commands.text import (
    CommandSyntaxError,
    Token,
    resolve_text,
    split_first_word,
    strip_wrapping_quotes,
    text_after_mention,
    tokenize_with_usage,
)
from bot.prompts.labels import DEFAULT_LABEL, LabelError, check_label

PROMPT_NAME_RULE = "lowercase letters, digits, - and _, starting with a letter or digit, at most 64"
PROMPT_NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"
_PROMPT_NAME = re.compile(PROMPT_NAME_PATTERN)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A deletion is named by its id or the first characters of it, as history shows them.
_DELETION_ID = re.compile(r"[0-9a-f]{4,12}")
MAX_CANDIDATES = 8

USAGE = {
    "new": "/align new NAME TEMPLATE   (or /align new NAME to write the template in a form)",
    "edit": "/align edit NAME TEMPLATE   (or /align edit NAME to change it in a form)",
    "list": "/align list",
    "show": "/align show NAME",
    "run": f"/align run NAME key=value ... [--n 1-{MAX_CANDIDATES}]",
    "export": "/align export NAME",
    "principles": "/align principles NAME",
    "apply": "/align apply NAME [--compare]",
    "examples": '/align examples NAME [add key=value ... ideal="..." | remove ID]',
    "compare": "/align compare NAME [A] [B]",
    "revise": "/align revise NAME FEEDBACK",
    "history": "/align history NAME",
    "rollback": "/align rollback NAME VERSION",
    "delete": "/align delete NAME",
    "restore": "/align restore NAME [DELETION]",
    "promote": f"/align promote NAME VERSION [LABEL]   (LABEL defaults to {DEFAULT_LABEL})",
    "config": "/align config NAME [model=SPEC] [temperature=0-2] [max_tokens=N]",
    "apikey": "/align apikey create NAME | /align apikey list | /align apikey revoke NAME",
    "help": "/align help",
}
# `/align apikey ACTION`: what each action needs after it.
APIKEY_ACTIONS = ("create", "list", "revoke")


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class NewPrompt:
    name: str
    template: str | None  # None: ask for it in a modal


@dataclass(frozen=True)
class EditPrompt:
    name: str
    template: str | None  # None: edit the current template in a modal


@dataclass(frozen=True)
class ListPrompts:
    pass


@dataclass(frozen=True)
class PromptNamed:
    """A command about one prompt that needs nothing but its name."""

    name: str


class ShowPrompt(PromptNamed):
    pass


@dataclass(frozen=True)
class RunPrompt:
    name: str
    variables: dict[str, str] = field(default_factory=dict)
    candidates: int = 1


class ExportPrompt(PromptNamed):
    pass


class ShowPrinciples(PromptNamed):
    pass


class ApplyPrinciples(PromptNamed):
    pass


class ApplyAndCompare(PromptNamed):
    """Apply into a new version that is not current yet, and compare it with the current one."""


class ListExamples(PromptNamed):
    pass


@dataclass(frozen=True)
class AddExample:
    name: str
    values: dict[str, str]  # an ``ideal`` value is the ideal answer


@dataclass(frozen=True)
class RemoveExample:
    name: str
    example_id: str


@dataclass(frozen=True)
class ComparePrompt:
    name: str
    a: int | None = None  # None: the production-labelled or current version
    b: int | None = None  # None: the newest version


@dataclass(frozen=True)
class RevisePrompt:
    name: str
    feedback: str


class ShowHistory(PromptNamed):
    pass


@dataclass(frozen=True)
class RollbackPrompt:
    name: str
    version: int


class DeletePrompt(PromptNamed):
    pass


@dataclass(frozen=True)
class RestorePrompt:
    name: str
    deletion: str | None = None  # a deletion id or its first characters; None: the latest


@dataclass(frozen=True)
class PromotePrompt:
    name: str
    version: int
    label: str = DEFAULT_LABEL


@dataclass(frozen=True)
class ConfigurePrompt:
    name: str
    settings: dict[str, str] = field(default_factory=dict)  # empty: show the current ones


@dataclass(frozen=True)
class ApiKeyCommand:
    action: str  # create, list, revoke
    name: str | None = None


VersionCommand = (
    ShowPrinciples
    | ApplyPrinciples
    | RevisePrompt
    | ShowHistory
    | RollbackPrompt
    | DeletePrompt
    | RestorePrompt
)

ExampleCommand = ListExamples | AddExample | RemoveExample

Command = (
    Help
    | NewPrompt
    | EditPrompt
    | ListPrompts
    | ShowPrompt
    | RunPrompt
    | ExportPrompt
    | VersionCommand
    | ApplyAndCompare
    | ExampleCommand
    | ComparePrompt
    | PromotePrompt
    | ConfigurePrompt
    | ApiKeyCommand
)


def is_prompt_name(name: str) -> bool:
    return _PROMPT_NAME.fullmatch(name) is not None


def check_prompt_name(name: str, usage: str | None = None) -> str:
    """Return ``name`` when it is a valid prompt name; raise with the rule and a fix otherwise."""
    if _PROMPT_NAME.fullmatch(name):
        return name
    message = f"`{name}` is not a valid prompt name: use {PROMPT_NAME_RULE} characters."
    fixed = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:64]
    if fixed and _PROMPT_NAME.fullmatch(fixed):
        message += f" For example `{fixed}`."
    raise CommandSyntaxError(message, usage)


def _template_text(raw_rest: str) -> str | None:
    """The template is the rest of the text as typed (newlines kept), minus wrapping quotes."""
    return strip_wrapping_quotes(resolve_text(raw_rest).strip()) or None


def _name_and_template(raw_args: str, action: str) -> tuple[str, str | None]:
    usage = USAGE[action]
    raw_name, rest = split_first_word(raw_args)
    if not raw_name:
        raise CommandSyntaxError(f"`{action}` needs a prompt name.", usage)
    return check_prompt_name(resolve_text(raw_name), usage), _template_text(rest)


def _tokens(raw_args: str, action: str) -> list[Token]:
    return tokenize_with_usage(raw_args, USAGE[action])


def _single_name(raw_args: str, action: str) -> str:
    usage = USAGE[action]
    tokens = _tokens(raw_args, action)
    if not tokens:
        raise CommandSyntaxError(f"`{action}` needs a prompt name.", usage)
    if len(tokens) > 1:
        extra = " ".join(t.text for t in tokens[1:])
        raise CommandSyntaxError(f"`{action}` takes only a prompt name; remove `{extra}`.", usage)
    return check_prompt_name(tokens[0].text, usage)


def _parse_new(raw_args: str) -> Command:
    name, template = _name_and_template(raw_args, "new")
    return NewPrompt(name, template)


def _parse_edit(raw_args: str) -> Command:
    name, template = _name_and_template(raw_args, "edit")
    return EditPrompt(name, template)


def _parse_list(raw_args: str) -> Command:
    if raw_args.strip():
        raise CommandSyntaxError("`list` takes nothing after it.", USAGE["list"])
    return ListPrompts()


def _parse_show(raw_args: str) -> Command:
    return ShowPrompt(_single_name(raw_args, "show"))


def _parse_export(raw_args: str) -> Command:
    return ExportPrompt(_single_name(raw_args, "export"))


def _parse_help(raw_args: str) -> Command:
    # Any word is kept: labeler commands have topics too, and the reply names an unknown one.
    word, _ = split_first_word(raw_args)
    return Help(resolve_text(word).lower() or None)


def _parse_candidates(value: str | None) -> int:
    usage = USAGE["run"]
    if value is None:
        raise CommandSyntaxError("`--n` needs a number, e.g. `--n 3`.", usage)
    if not value.isdigit() or not 1 <= int(value) <= MAX_CANDIDATES:
        raise CommandSyntaxError(
            f"`--n {value}` must be a whole number from 1 to {MAX_CANDIDATES}.", usage
        )
    return int(value)


def _parse_run(raw_args: str) -> Command:
    usage = USAGE["run"]
    tokens = _tokens(raw_args, "run")
    if not tokens:
        raise CommandSyntaxError("`run` needs a prompt name.", usage)
    name = check_prompt_name(tokens[0].text, usage)
    candidates = 1
    pairs: list[Token] = []
    rest = tokens[1:]
    index = 0
    while index < len(rest):
        token = rest[index]
        index += 1
        if token.text.startswith("--") and not token.quoted:
            flag, has_value, value = token.text[2:].partition("=")
            if flag not in ("n", "candidates"):
                raise CommandSyntaxError(f"`--{flag}` is not an option of `run`.", usage)
            if not has_value:
                value = rest[index].text if index < len(rest) else ""
                index += 1
            candidates = _parse_candidates(value or None)
            continue
        pairs.append(token)
    variables = parse_pairs(pairs, usage)
    return RunPrompt(name, variables, candidates)


def parse_pairs(tokens: list[Token], usage: str) -> dict[str, str]:
    """``key=value`` words as a dict; each key a variable name, given once."""
    variables: dict[str, str] = {}
    for token in tokens:
        key, has_equals, value = token.text.partition("=")
        if not has_equals or token.quoted:
            raise CommandSyntaxError(
                f"`{token.text}` is not a `key=value` pair. Quote values with spaces: "
                f'`key="two words"`.',
                usage,
            )
        if not _VARIABLE_NAME.fullmatch(key):
            raise CommandSyntaxError(
                f"`{key}` is not a variable name: use letters, digits and _, not starting with a "
                "digit.",
                usage,
            )
        if key in variables:
            raise CommandSyntaxError(f"`{key}` is given twice; give each variable once.", usage)
        variables[key] = value
    return variables


def _parse_apply(raw_args: str) -> Command:
    usage = USAGE["apply"]
    tokens = _tokens(raw_args, "apply")
    flags = [t.text for t in tokens[1:]]
    if not tokens:
        raise CommandSyntaxError("`apply` needs a prompt name.", usage)
    if flags not in ([], ["--compare"]):
        extra = " ".join(flag for flag in flags if flag != "--compare")
        raise CommandSyntaxError(
            f"`apply` takes only a prompt name (and `--compare`); remove `{extra}`.", usage
        )
    name = check_prompt_name(tokens[0].text, usage)
    return ApplyAndCompare(name) if flags else ApplyPrinciples(name)


def _parse_examples(raw_args: str) -> Command:
    usage = USAGE["examples"]
    tokens = _tokens(raw_args, "examples")
    if not tokens:
        raise CommandSyntaxError("`examples` needs a prompt name.", usage)
    name = check_prompt_name(tokens[0].text, usage)
    if len(tokens) == 1:
        return ListExamples(name)
    action = tokens[1].text.lower()
    if action == "add" and len(tokens) > 2:
        return AddExample(name, parse_pairs(tokens[2:], usage))
    if action == "remove" and len(tokens) == 3:
        return RemoveExample(name, tokens[2].text.lower())
    raise CommandSyntaxError(
        f"After `examples {name}` write `add key=value ...` or `remove ID` (ids as "
        f"`/align examples {name}` lists them, e.g. `e3`).",
        usage,
    )


def _version_number(token: Token, usage: str) -> int:
    """A version as people write it: ``3`` or ``v3``."""
    number = token.text.lower().removeprefix("v")
    if not number.isdigit() or int(number) < 1:
        raise CommandSyntaxError(f"`{token.text}` is not a version number.", usage)
    return int(number)


def _parse_compare(raw_args: str) -> Command:
    usage = USAGE["compare"]
    tokens = _tokens(raw_args, "compare")
    if not tokens or len(tokens) > 3:
        raise CommandSyntaxError("`compare` takes a prompt name and up to two versions.", usage)
    name = check_prompt_name(tokens[0].text, usage)
    versions = [_version_number(token, usage) for token in tokens[1:]]
    if len(versions) == 1:
        return ComparePrompt(name, None, versions[0])
    return ComparePrompt(name, *versions) if versions else ComparePrompt(name)


def _parse_revise(raw_args: str) -> Command:
    name, feedback = _name_and_template(raw_args, "revise")
    if feedback is None:
        raise CommandSyntaxError(
            "`revise` needs the change you want, e.g. `/align revise uses Ask for one line each.`",
            USAGE["revise"],
        )
    return RevisePrompt(name, feedback)


def _parse_promote(raw_args: str) -> Command:
    usage = USAGE["promote"]
    tokens = _tokens(raw_args, "promote")
    if len(tokens) not in (2, 3):
        raise CommandSyntaxError(
            "`promote` takes a prompt name, a version number and optionally a label.", usage
        )
    name = check_prompt_name(tokens[0].text, usage)
    version = _version_number(tokens[1], usage)
    if len(tokens) == 2:
        return PromotePrompt(name, version)
    try:
        label = check_label(tokens[2].text)
    except LabelError as error:
        raise CommandSyntaxError(str(error), usage) from error
    return PromotePrompt(name, version, label)


def _parse_config(raw_args: str) -> Command:
    usage = USAGE["config"]
    tokens = _tokens(raw_args, "config")
    if not tokens:
        raise CommandSyntaxError("`config` needs a prompt name.", usage)
    name = check_prompt_name(tokens[0].text, usage)
    settings: dict[str, str] = {}
    for token in tokens[1:]:
        key, has_equals, value = token.text.partition("=")
        if not has_equals or token.quoted or not value.strip():
            raise CommandSyntaxError(
                f"`{token.text}` is not a `setting=value` pair, e.g. `temperature=0.2`; "
                "`setting=default` goes back to the workspace default.",
                usage,
            )
        if key in settings:
            raise CommandSyntaxError(f"`{key}` is given twice; give each setting once.", usage)
        settings[key] = value
    return ConfigurePrompt(name, settings)


def _parse_apikey(raw_args: str) -> Command:
    usage = USAGE["apikey"]
    tokens = _tokens(raw_args, "apikey")
    action = tokens[0].text.lower() if tokens else ""
    if action not in APIKEY_ACTIONS:
        raise CommandSyntaxError("`apikey` needs `create NAME`, `list` or `revoke NAME`.", usage)
    if action == "list":
        if len(tokens) > 1:
            raise CommandSyntaxError("`apikey list` takes nothing after it.", usage)
        return ApiKeyCommand("list")
    if len(tokens) != 2:
        raise CommandSyntaxError(f"`apikey {action}` takes one key name, e.g. `my-app`.", usage)
    text = tokens[1].text
    if not _PROMPT_NAME.fullmatch(text):
        raise CommandSyntaxError(
            f"`{text[:70]}` is not a valid key name: use {PROMPT_NAME_RULE} characters.", usage
        )
    return ApiKeyCommand(action, text)


def _parse_rollback(raw_args: str) -> Command:
    usage = USAGE["rollback"]
    tokens = _tokens(raw_args, "rollback")
    if len(tokens) != 2:
        raise CommandSyntaxError("`rollback` takes a prompt name and a version number.", usage)
    name = check_prompt_name(tokens[0].text, usage)
    return RollbackPrompt(name, _version_number(tokens[1], usage))


def _parse_restore(raw_args: str) -> Command:
    usage = USAGE["restore"]
    tokens = _tokens(raw_args, "restore")
    if not tokens:
        raise CommandSyntaxError("`restore` needs a prompt name.", usage)
    if len(tokens) > 2:
        extra = " ".join(t.text for t in tokens[2:])
        raise CommandSyntaxError(
            f"`restore` takes a prompt name and at most one deletion id; remove `{extra}`.", usage
        )
    name = check_prompt_name(tokens[0].text, usage)
    if len(tokens) == 1:
        return RestorePrompt(name)
    deletion = tokens[1].text.lower()
    if not _DELETION_ID.fullmatch(deletion):
        raise CommandSyntaxError(
            f"`{tokens[1].text}` is not a deletion id. `/align history {name}` lists the "
            "deletions; give one's id, or its first 4 or more characters, e.g. `3f2a1c`.",
            usage,
        )
    return RestorePrompt(name, deletion)


_PARSERS: dict[str, Callable[[str], Command]] = {
    "new": _parse_new,
    "edit": _parse_edit,
    "list": _parse_list,
    "show": _parse_show,
    "run": _parse_run,
    "export": _parse_export,
    "principles": lambda raw: ShowPrinciples(_single_name(raw, "principles")),
    "apply": _parse_apply,
    "examples": _parse_examples,
    "compare": _parse_compare,
    "revise": _parse_revise,
    "history": lambda raw: ShowHistory(_single_name(raw, "history")),
    "rollback": _parse_rollback,
    "delete": lambda raw: DeletePrompt(_single_name(raw, "delete")),
    "restore": _parse_restore,
    "promote": _parse_promote,
    "config": _parse_config,
    "apikey": _parse_apikey,
    "help": _parse_help,
}


def parse_command(raw: str) -> Command:
    """Parse the text after ``/align`` (or after the bot's mention) exactly as Slack sends it."""
    action, rest = split_first_word(raw)
    if not action:
        return Help()
    parser = _PARSERS.get(resolve_text(action).lower())
    if parser is None:
        known = ", ".join(f"`{name}`" for name in _PARSERS)
        raise CommandSyntaxError(
            f"`{resolve_text(action)}` is not an alignbot command. Commands: {known}.",
            USAGE["help"],
        )
    return parser(rest)


def addressed_command(raw: str, bot_user_id: str | None) -> str | None:
    """The command text of a message that starts by mentioning the bot with a command word.

    ``<@BOT> run uses item=x`` gives ``run uses item=x``; a bare ``<@BOT>`` gives ``""`` (help).
    Anything else (``<@BOT> critique: too long``, a mention mid-sentence) is None: it is not a
    command, and is left for the listeners that read conversation in threads.
    """
    rest = text_after_mention(raw, bot_user_id)
    if rest is None:
        return None
    word, _ = split_first_word(rest)
    if word and resolve_text(word).lower() not in _PARSERS:
        return None
    return rest.strip()
