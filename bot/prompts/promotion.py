"""`/align promote`, its move-back button, and `/align config`: what runs where, and how.

Promoting moves a label (``production`` by default) onto a version; applications reading the
prompt API by label get that version from then on. The channel hears of every move, with a
button that moves the label back to where it was, unless someone moved it again meanwhile:
the button then refuses and says where the label is now. Both are limited to admins when
``ALIGN_ADMINS`` is set, as every other change to a prompt is.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from alignment.model_helper import parse_spec
from bot.commands.prompts import ConfigurePrompt, PromotePrompt
from bot.prompts import label_views
from bot.prompts.buttons import origin_of
from bot.prompts.labels import LabelError, LabelStore
from bot.prompts.model_settings import ModelSettingsError, apply_settings
from bot.prompts.permissions import announce, permitted
from bot.prompts.store import PromptStore, PromptStoreError
from bot.prompts.versions import SettingsUnchangedError, configure
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin


def promote(services: Services, origin: Origin, command: PromotePrompt) -> None:
    name, label, version = command.name, command.label, command.version
    if not permitted(services, origin, "promote", name):
        return
    store = PromptStore(services.redis, origin.workspace)
    labels = LabelStore(services.redis, origin.workspace)
    try:
        store.version(name, version)  # unknown prompt or version: an error naming it
        before = labels.version_of(name, label)
        if before == version:
            origin.reply_private(label_views.already_there(name, label, version))
            return
        move = labels.move(name, label, version, origin.user, expected=before)
    except (PromptStoreError, LabelError) as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    identity = store.identity(name)
    announce(origin, label_views.label_moved_message(move, origin.user, identity, back=False))


def move_back(services: Services, origin: Origin, value: str) -> None:
    """The button under a label move: put the label back where that move found it."""
    wanted = label_views.read_move_back(value)
    if wanted is None:
        origin.reply_private(block_kit.error("That button is broken; nothing was changed."))
        return
    name, label = str(wanted["name"]), str(wanted["label"])
    if not permitted(services, origin, "promote", name):
        return
    store = PromptStore(services.redis, origin.workspace)
    if not store.is_same_prompt(name, wanted.get("id")):
        origin.reply_private(
            block_kit.error(
                f"`{name}` has been deleted since that move (or the name now belongs to another "
                "prompt); nothing was changed."
            )
        )
        return
    try:
        move = LabelStore(services.redis, origin.workspace).move(
            name, label, wanted["to"], origin.user, expected=wanted["from"]
        )
    except (PromptStoreError, LabelError) as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    identity = store.identity(name)
    announce(origin, label_views.label_moved_message(move, origin.user, identity, back=True))


def _defaults(services: Services) -> str:
    return f"model {services.settings.model_spec}"


def _model_problem(services: Services, spec: str | None) -> str | None:
    """Why this bot cannot call ``spec`` (its provider is not configured); None if it can."""
    if spec is None:
        return None
    provider = parse_spec(spec).provider
    problem = provider.settings_problem(services.settings.model_environment())
    if problem is None:
        return None
    return (
        f"`model={spec}` cannot run here: the bot has no {provider.key_variable} set "
        f"({problem}). Ask whoever runs the bot to set it, or pick another model."
    )


def configure_prompt(services: Services, origin: Origin, command: ConfigurePrompt) -> None:
    name = command.name
    store = PromptStore(services.redis, origin.workspace)
    try:
        current = store.current(name)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    if not command.settings:
        message = label_views.settings_message(
            name, current.version, current.settings, _defaults(services)
        )
        origin.reply_private(message)
        return
    if not permitted(services, origin, "config", name):
        return
    try:
        wanted = apply_settings(current.settings, command.settings)
        if problem := _model_problem(services, wanted.model):
            raise ModelSettingsError(problem)
        change = configure(services.redis, origin.workspace, name, origin.user, command.settings)
    except (ModelSettingsError, SettingsUnchangedError, PromptStoreError) as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    announce(origin, label_views.configured_message(name, change, origin.user))


def register(app: App, services: Services) -> None:
    def move_back_click(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        move_back(services, origin_of(body, context, client), str(body["actions"][0]["value"]))

    app.action(label_views.MOVE_BACK_ACTION)(move_back_click)
