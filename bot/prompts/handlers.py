"""Creating, editing, listing, showing and exporting prompts (no model calls here)."""

from __future__ import annotations

import json
import logging

from slack_sdk.errors import SlackApiError

from bot.commands.prompts import EditPrompt, NewPrompt
from bot.prompts import views
from bot.prompts.labels import LabelStore
from bot.prompts.permissions import announce, permitted
from bot.prompts.store import PromptStore, PromptStoreError, PromptVersion
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.chunking import MESSAGE_TEXT_BUDGET
from bot.slack.origin import Origin, slack_error_code

log = logging.getLogger(__name__)

NOT_IN_CHANNEL_CODES = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
INVITE_HINT = "I am not in this channel. Invite me with `/invite @alignbot`, then try again."


def store_for(services: Services, origin: Origin) -> PromptStore:
    return PromptStore(services.redis, origin.workspace)


def form_metadata(origin: Origin, **extra: object) -> str:
    """What a form's submission needs to answer in the right place (Slack keeps 3000 chars)."""
    state = {
        "channel": origin.channel,
        "thread_ts": origin.thread_ts,
        "response_url": origin.response_url,
        **extra,
    }
    return json.dumps(state)


def open_form(origin: Origin, view: dict[str, object]) -> None:
    assert origin.trigger_id is not None
    origin.client.views_open(trigger_id=origin.trigger_id, view=view)


def create_prompt(services: Services, origin: Origin, command: NewPrompt) -> None:
    store = store_for(services, origin)
    if command.template is None:
        if not origin.can_open_forms:
            origin.reply_private(
                block_kit.error(f"Give the template too: `/align new {command.name} TEMPLATE`.")
            )
            return
        if store.exists(command.name):
            origin.reply_private(
                block_kit.error(
                    f"`{command.name}` already exists; change it with `/align edit {command.name}`."
                )
            )
            return
        metadata = form_metadata(origin, mode="new")
        open_form(origin, views.prompt_template_modal("new", command.name, None, metadata))
        return
    try:
        record = store.create(command.name, command.template, origin.user)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    origin.reply_private(views.prompt_saved(record, created=True))


def edit_prompt(services: Services, origin: Origin, command: EditPrompt) -> None:
    if not permitted(services, origin, "edit", command.name):
        return
    store = store_for(services, origin)
    try:
        current = store.current(command.name)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    if command.template is None:
        if not origin.can_open_forms:
            origin.reply_private(
                block_kit.error(f"Give the new template: `/align edit {command.name} TEMPLATE`.")
            )
        elif len(current.template) > views.FORM_TEXT_LIMIT:
            origin.reply_private(
                block_kit.error(
                    f"`{command.name}` is too long to edit in a form "
                    f"({views.FORM_TEXT_LIMIT:,} characters at most). Give the new template "
                    f"inline: `/align edit {command.name} TEMPLATE`."
                )
            )
        else:
            metadata = form_metadata(origin, mode="edit", name=command.name)
            form = views.prompt_template_modal("edit", command.name, current.template, metadata)
            open_form(origin, form)
        return
    save_edit(store, origin, command.name, command.template, current)


def save_edit(
    store: PromptStore, origin: Origin, name: str, template: str, current: PromptVersion
) -> None:
    if template == current.template:
        origin.reply_private(
            block_kit.error(
                f"That is the template of version {current.version} already; nothing was saved."
            )
        )
        return
    try:
        record = store.edit(name, template, origin.user)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    origin.reply_private(views.prompt_saved(record, created=False))
    announce(origin, views.prompt_edited(record, origin.user))


def list_prompts(services: Services, origin: Origin) -> None:
    origin.reply_private(views.prompt_list(store_for(services, origin).summaries()))


def show_prompt(services: Services, origin: Origin, name: str) -> None:
    try:
        record = store_for(services, origin).current(name)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    labels = LabelStore(services.redis, origin.workspace).labels(name)
    origin.reply_private(views.prompt_details(record, labels))


def export_prompt(services: Services, origin: Origin, name: str) -> None:
    try:
        record = store_for(services, origin).current(name)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    document = views.export_json(record)
    inline = views.export_inline(record, document)
    if len(inline.text) <= MESSAGE_TEXT_BUDGET:
        origin.reply_private(inline)
        return
    # Too long for one message: a file keeps the JSON whole, and files have no such limit.
    try:
        origin.client.files_upload_v2(
            channel=origin.channel,
            thread_ts=origin.thread_ts,
            content=document,
            filename=f"{name}-v{record.version}.json",
            title=f"{name} version {record.version}",
            initial_comment=(
                f"`{name}` version {record.version} as JSON for `ConstitutionalPrompt.from_dict`, "
                f"exported by <@{origin.user}>."
            ),
        )
    except SlackApiError as error:
        code = slack_error_code(error)
        log.warning("export upload failed: %s", code)
        text = (
            INVITE_HINT
            if code in NOT_IN_CHANNEL_CODES
            else f"Uploading the export failed ({code})."
        )
        origin.reply_private(block_kit.error(text))
