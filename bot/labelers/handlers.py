"""The labeler commands: `/align train | cancel | notify | label`, typed or said to the bot.

`train` opens the two-step form (a slash command can carry no file; uploads that mention the bot
are read in ``uploads``). Every refusal is a private message that says what to do instead.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from alignment.errors import AlignmentError
from bot.budgets import OverBudgetError
from bot.commands.labelers import (
    TRAINING_USAGE,
    CancelTraining,
    LabelWithLabeler,
    SetNotifications,
    TrainingCommand,
    TrainLabeler,
    addressed_training_text,
    parse_training_command,
)
from bot.commands.text import CommandSyntaxError
from bot.compare.cancelling import cancel_comparisons_of
from bot.labelers import forms as training_forms
from bot.labelers import views as training_views
from bot.labelers.intake import IntakeRefusal, refuse_if_unavailable
from bot.labelers.jobs import request_cancel
from bot.labelers.labelling import LabelingError, example_values, label_example, load_labeler
from bot.labelers.permissions import notify_channel_refusal, retrain_refusal
from bot.labelers.run_state import RunStore
from bot.labelers.store import LabelerStore, LabelerStoreError, NotificationSettings
from bot.prompts.permissions import external_allowed, permitted
from bot.prompts.store import PromptStore
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.failure_text import failure_reason
from bot.slack.origin import Origin, from_mention

log = logging.getLogger(__name__)


def _too_long_for_the_form(command: TrainLabeler, state: dict[str, Any]) -> str | None:
    """Why the typed settings cannot be carried by the form, or None when they can."""
    if command.task and len(command.task) > training_forms.TASK_MAX_CHARS:
        return (
            f"The task is {len(command.task):,} characters; the form holds at most "
            f"{training_forms.TASK_MAX_CHARS:,}. Shorten it, or leave it out and write it in "
            "the form."
        )
    # The form carries all of it in its private_metadata, whose limit counts the JSON.
    prefilled = training_forms.UploadForm(
        file_ids=[], task=command.task or "", steps=command.steps, notify_channel=None
    )
    carried = training_forms.carried_to_step_two(
        state, prefilled, "F" * training_forms.FILE_ID_ROOM
    )
    over = training_forms.metadata_overflow(carried)
    if over > 0:
        return (
            f"The settings typed with the command are {over:,} characters too long to carry "
            "through the form (quotes, backslashes and line breaks count twice). Shorten the "
            "task, or leave out `label=` and `inputs=` and choose the columns in the form."
        )
    return None


def open_training_form(services: Services, origin: Origin, command: TrainLabeler) -> None:
    if not origin.can_open_forms:
        origin.reply_private(
            block_kit.error(
                f"Attach the CSV to the message that mentions me, or use `/align train "
                f"{command.name}` to pick the file in a form."
            )
        )
        return
    try:
        refuse_if_unavailable(services, origin.workspace, command.name)
    except IntakeRefusal as refusal:
        origin.reply_private(block_kit.error(str(refusal)))
        return
    # Said now, before anyone fills the form in; checked again when the training starts.
    refused = retrain_refusal(services, origin.workspace, command.name, origin.user)
    refused = refused or notify_channel_refusal(
        services, origin.workspace, origin.user, command.notify_channel, origin.channel
    )
    if refused is not None:
        origin.reply_private(block_kit.error(refused))
        return
    # Settings the form does not ask for ride along to step two, where the training starts.
    state: dict[str, Any] = {
        "name": command.name,
        "channel": origin.channel,
        "thread_ts": origin.thread_ts,
        "response_url": origin.response_url,
        "label": command.label,
        "inputs": list(command.inputs),
        "target": command.target,
        "delta": command.delta,
        "threshold": command.threshold,
        "typed_notify": command.notify_channel,
    }
    too_long = _too_long_for_the_form(command, state)
    if too_long is not None:
        origin.reply_private(block_kit.error(too_long))
        return
    prefill = training_forms.FormPrefill(
        task=command.task,
        steps=command.steps,
        channel=command.notify_channel,
        experts=command.experts,
    )
    assert origin.trigger_id is not None
    origin.client.views_open(
        trigger_id=origin.trigger_id,
        view=training_forms.upload_form(command.name, training_forms.metadata(**state), prefill),
    )


def cancel_training(services: Services, origin: Origin, name: str) -> None:
    """`/align cancel NAME`: stop the labeler's training, or the prompt's comparisons."""
    is_labeler = LabelerStore(services.redis, origin.workspace).exists(name)
    is_prompt = PromptStore(services.redis, origin.workspace).exists(name)
    if not is_labeler and not is_prompt:
        origin.reply_private(
            block_kit.error(f"There is no labeler or prompt named `{name}`. See `/align list`.")
        )
        return
    if is_prompt and cancel_comparisons_of(services, origin, name):
        return
    if not is_labeler:
        origin.reply_private(block_kit.error(training_views.nothing_to_cancel(name)))
        return
    runs = RunStore(services.redis, origin.workspace)
    running = runs.running_run_id(name)
    run = runs.load(running) if running is not None else None
    if run is not None and not permitted(services, origin, "cancel", name, owner=run.user):
        return
    if request_cancel(services.redis, origin.workspace, name, origin.user) is None:
        origin.reply_private(block_kit.error(training_views.nothing_to_cancel(name)))
        return
    origin.reply_private(training_views.cancel_requested(name, origin.user))


def set_notifications(services: Services, origin: Origin, command: SetNotifications) -> None:
    store = LabelerStore(services.redis, origin.workspace)
    if not store.exists(command.name):
        origin.reply_private(
            block_kit.error(f"There is no labeler named `{command.name}`. See `/align list`.")
        )
        return
    current = store.notification_settings(command.name)
    if command.changes_nothing:
        origin.reply_private(training_views.notifications_shown(command.name, current))
        return
    if not permitted(services, origin, "notify", command.name):
        return
    refusal = notify_channel_refusal(
        services, origin.workspace, origin.user, command.channel, origin.channel
    )
    if refusal is not None:
        origin.reply_private(block_kit.error(refusal))
        return
    wanted = NotificationSettings(
        channel=command.channel or current.channel,
        target=command.target if command.target is not None else current.target,
        delta=command.delta if command.delta is not None else current.delta,
    )
    try:
        store.set_notification_settings(command.name, wanted)
    except LabelerStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    origin.reply_private(training_views.notifications_saved(command.name, wanted))


def label_one(services: Services, origin: Origin, command: LabelWithLabeler) -> None:
    if not command.values and not command.text:
        origin.reply_private(
            block_kit.error(
                f"Give the example to label: `{TRAINING_USAGE['label']}`. To label a whole "
                f'file, upload it with the message "@alignbot label {command.name}".'
            )
        )
        return
    try:
        loaded = load_labeler(services, origin.workspace, command.name)
        values = example_values(loaded, command.values, command.text)
    except LabelingError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    try:
        services.budgets.spend(origin.workspace, origin.user, 1)
    except OverBudgetError as refused:
        origin.reply_private(block_kit.error(refused.explain()))
        return
    try:
        answer = label_example(loaded, values)
    except AlignmentError as error:  # the model failed: say why
        log.warning("labelling with %s failed: %s", command.name, error, exc_info=True)
        origin.reply_private(
            block_kit.error(
                f"`{command.name}` could not label this example: {failure_reason(error)}. "
                "Try again in a moment; if it keeps failing, check the model settings."
            )
        )
        return
    origin.reply_private(
        training_views.prediction(
            command.name,
            loaded.version.version,
            loaded.labeler.label_name,
            answer.values,
            answer.label,
            answer.raw,
        )
    )


def perform_training(services: Services, origin: Origin, command: TrainingCommand) -> None:
    """Carry out a labeler command; anything unexpected still ends in a private answer."""
    administers = isinstance(command, TrainLabeler | CancelTraining) or (
        isinstance(command, SetNotifications) and not command.changes_nothing
    )
    if administers and not external_allowed(services, origin):
        return
    try:
        match command:
            case TrainLabeler():
                open_training_form(services, origin, command)
            case CancelTraining(name=name):
                cancel_training(services, origin, name)
            case SetNotifications():
                set_notifications(services, origin, command)
            case LabelWithLabeler():
                label_one(services, origin, command)
    except Exception:
        log.exception("labeler command failed: %r", command)
        origin.reply_private(
            block_kit.error("Something went wrong on my side and nothing was changed. Try again.")
        )


def handle_training_text(services: Services, origin: Origin, text: str) -> bool:
    """Act on ``text`` if it is a labeler command; False when it is some other command."""
    try:
        command = parse_training_command(text)
    except CommandSyntaxError as error:
        origin.reply_private(block_kit.error(error.explain()))
        return True
    if command is None:
        return False
    perform_training(services, origin, command)
    return True


def register(app: App, services: Services) -> None:
    """Mentions that say a labeler command without attaching a file (uploads are elsewhere)."""

    def is_training_mention(event: dict[str, Any], context: BoltContext) -> bool:
        text = str(event.get("text") or "")
        return not event.get("files") and (
            addressed_training_text(text, context.bot_user_id) is not None
        )

    def acknowledge(ack: Ack) -> None:
        ack()

    def handle(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        text = addressed_training_text(str(event.get("text") or ""), context.bot_user_id) or ""
        handle_training_text(services, from_mention(event, context, client), text)

    app.event("app_mention", matchers=[is_training_mention])(ack=acknowledge, lazy=[handle])
    app.event({"type": "message", "subtype": None}, matchers=[is_training_mention])(
        ack=acknowledge, lazy=[handle]
    )
