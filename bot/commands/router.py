"""Turn command text (from `/align` or a mention) into the matching action."""

from __future__ import annotations

import logging

from bot.api.handlers import manage_keys
from bot.commands.prompts import (
    AddExample,
    ApiKeyCommand,
    ApplyAndCompare,
    ApplyPrinciples,
    Command,
    ComparePrompt,
    ConfigurePrompt,
    DeletePrompt,
    EditPrompt,
    ExportPrompt,
    Help,
    ListExamples,
    ListPrompts,
    NewPrompt,
    PromotePrompt,
    RemoveExample,
    RestorePrompt,
    RevisePrompt,
    RollbackPrompt,
    RunPrompt,
    ShowPrompt,
    parse_command,
)
from bot.commands.text import CommandSyntaxError
from bot.compare.handlers import perform_compare_command
from bot.examples.handlers import perform_example_command
from bot.labelers import browse as labelers
from bot.labelers.handlers import handle_training_text
from bot.prompts import handlers as prompts
from bot.prompts import views
from bot.prompts.permissions import external_allowed
from bot.prompts.promotion import configure_prompt, promote
from bot.prompts.running import start_run
from bot.prompts.version_commands import perform_version_command
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin

log = logging.getLogger(__name__)

# Commands that change what a prompt says or holds; Slack Connect guests may not by default.
PROMPT_CHANGES = (
    NewPrompt,
    EditPrompt,
    ApplyPrinciples,
    RevisePrompt,
    RollbackPrompt,
    DeletePrompt,
    RestorePrompt,
    ApplyAndCompare,
    AddExample,
    RemoveExample,
    PromotePrompt,
    ConfigurePrompt,
    ApiKeyCommand,
)


def perform(services: Services, origin: Origin, command: Command) -> None:
    match command:
        case Help(topic=topic):
            origin.reply_private(views.help_message(topic))
        case NewPrompt():
            prompts.create_prompt(services, origin, command)
        case EditPrompt():
            prompts.edit_prompt(services, origin, command)
        case ListPrompts():
            labelers.list_everything(services, origin)
        case ShowPrompt(name=name) if labelers.is_labeler(services, origin, name):
            labelers.show_labeler(services, origin, name)
        case ShowPrompt(name=name):
            prompts.show_prompt(services, origin, name)
        case ExportPrompt(name=name):
            prompts.export_prompt(services, origin, name)
        case RunPrompt():
            start_run(services, origin, command)
        case ListExamples() | AddExample() | RemoveExample():
            perform_example_command(services, origin, command)
        case ComparePrompt() | ApplyAndCompare():
            perform_compare_command(services, origin, command)
        case PromotePrompt():
            promote(services, origin, command)
        case ConfigurePrompt():
            configure_prompt(services, origin, command)
        case ApiKeyCommand():
            manage_keys(services, origin, command)
        case RollbackPrompt(name=name, version=version) if labelers.is_labeler(
            services, origin, name
        ):
            labelers.roll_back(services, origin, name, version)
        case _:
            perform_version_command(services, origin, command)


def handle_text(services: Services, origin: Origin, text: str) -> None:
    """Parse ``text`` and act on it; every failure ends as a private message saying what to do."""
    if handle_training_text(services, origin, text):
        return
    try:
        command = parse_command(text)
    except CommandSyntaxError as error:
        origin.reply_private(block_kit.error(error.explain()))
        return
    if isinstance(command, PROMPT_CHANGES) and not external_allowed(services, origin):
        return
    perform_safely(services, origin, command)


def perform_safely(services: Services, origin: Origin, command: Command) -> None:
    try:
        perform(services, origin, command)
    except Exception:
        # Whatever broke, the person must not be left waiting in silence.
        log.exception("command failed: %r", command)
        origin.reply_private(
            block_kit.error("Something went wrong on my side and nothing was changed. Try again.")
        )
