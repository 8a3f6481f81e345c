"""`/align principles | apply | revise | history | rollback | delete | restore`.

Read-only answers (principles, history) go privately to the person who asked. Changes to a prompt
are announced in the channel, since they change what everyone's next run does; if the bot cannot
post there, the person still hears privately. Apply, revise, rollback, delete and restore may be
limited to admins (``ALIGN_ADMINS``); a refused attempt is recorded in the audit log too.
"""

from __future__ import annotations

import logging

from alignment.errors import AnswerFormatError, TemplateError
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt
from bot.commands.prompts import (
    ApplyPrinciples,
    DeletePrompt,
    RestorePrompt,
    RevisePrompt,
    RollbackPrompt,
    ShowHistory,
    ShowPrinciples,
    VersionCommand,
)
from bot.prompts import history_views as version_views
from bot.prompts.deletion import RestoreError, deletions, restore_prompt
from bot.prompts.labels import LabelStore
from bot.prompts.permissions import admin_policy, announce, permitted
from bot.prompts.principle_updates import TooBusyError
from bot.prompts.store import PromptStore, PromptStoreError
from bot.prompts.versions import (
    NothingToApplyError,
    Rewrite,
    apply_principles,
    history,
    rewrite_prompt,
    rollback,
)
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin

log = logging.getLogger(__name__)


def _runner(services: Services, prompt: ConstitutionalPrompt) -> AlignableSingleRun:
    return AlignableSingleRun(services.prompt_model, services.alignment_model, data=prompt)


def show_principles(services: Services, origin: Origin, name: str) -> None:
    record = PromptStore(services.redis, origin.workspace).current(name)
    origin.reply_private(version_views.principles_message(record))


def folding(services: Services) -> Rewrite:
    """The rewrite ``apply`` makes: the principles folded into the template by the model."""

    def fold(prompt: ConstitutionalPrompt) -> ConstitutionalPrompt:
        runner = _runner(services, prompt)
        runner.update_model_description_from_principles()
        return runner.data

    return fold


def apply(services: Services, origin: Origin, name: str) -> None:
    if not permitted(services, origin, "apply", name):
        return
    PromptStore(services.redis, origin.workspace).current(name)  # unknown names: a helpful error
    fold = folding(services)
    change = apply_principles(services.redis, origin.workspace, name, origin.user, fold)
    count = len(change.after.prompt.principles)
    headline = f"Applied {count} principle{'s' if count != 1 else ''}:"
    announce(origin, version_views.rewritten_message(name, change, origin.user, headline))


def revise(services: Services, origin: Origin, name: str, feedback: str) -> None:
    if not permitted(services, origin, "revise", name):
        return
    PromptStore(services.redis, origin.workspace).current(name)

    def edit(prompt: ConstitutionalPrompt) -> ConstitutionalPrompt:
        runner = _runner(services, prompt)
        runner.update_model_description_from_feedback(feedback)
        return runner.data

    summary = f"revised the template from feedback: {feedback}"
    change = rewrite_prompt(
        services.redis, origin.workspace, name, origin.user, "revise", summary, edit
    )
    detail = version_views.revise_detail(feedback)
    message = version_views.rewritten_message(name, change, origin.user, "Revised:", detail)
    announce(origin, message)


def show_history(services: Services, origin: Origin, name: str) -> None:
    store = PromptStore(services.redis, origin.workspace)
    removals = deletions(services.redis, origin.workspace, name)
    if not store.exists(name):
        if not removals:
            store.current(name)  # raises the unknown-prompt error, with near names
            return
        restricted = admin_policy(services).restricted
        origin.reply_private(version_views.deleted_history_message(name, removals, restricted))
        return
    entries = history(services.redis, origin.workspace, name)
    labels = LabelStore(services.redis, origin.workspace).by_version(name)
    origin.reply_private(version_views.history_message(name, entries, removals, labels))


def roll_back(services: Services, origin: Origin, name: str, target: int) -> None:
    if not permitted(services, origin, "rollback", name):
        return
    change = rollback(services.redis, origin.workspace, name, target, origin.user)
    announce(origin, version_views.rolled_back_message(name, change, origin.user, target))


def ask_to_delete(services: Services, origin: Origin, name: str) -> None:
    if not permitted(services, origin, "delete", name):
        return
    versions = PromptStore(services.redis, origin.workspace).versions(name)
    origin.reply_private(version_views.delete_confirmation(name, len(versions)))


def restore(services: Services, origin: Origin, name: str, deletion: str | None = None) -> None:
    """Restore the deletion of ``name`` that ``deletion`` names, or its latest one."""
    if not permitted(services, origin, "restore", name):
        return
    try:
        event = restore_prompt(services.redis, origin.workspace, name, origin.user, deletion)
    except RestoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    announce(origin, version_views.restored_message(name, origin.user, event))


def perform_version_command(services: Services, origin: Origin, command: VersionCommand) -> None:
    """Carry out one of these commands; refusals and model trouble become private errors."""
    try:
        match command:
            case ShowPrinciples(name=name):
                show_principles(services, origin, name)
            case ApplyPrinciples(name=name):
                apply(services, origin, name)
            case RevisePrompt(name=name, feedback=feedback):
                revise(services, origin, name, feedback)
            case ShowHistory(name=name):
                show_history(services, origin, name)
            case RollbackPrompt(name=name, version=version):
                roll_back(services, origin, name, version)
            case DeletePrompt(name=name):
                ask_to_delete(services, origin, name)
            case RestorePrompt(name=name, deletion=deletion):
                restore(services, origin, name, deletion)
    except (PromptStoreError, NothingToApplyError, TooBusyError) as error:
        origin.reply_private(block_kit.error(str(error)))
    except (AnswerFormatError, TemplateError) as error:
        origin.reply_private(
            block_kit.error(f"The alignment model's rewrite could not be used: {error}")
        )
