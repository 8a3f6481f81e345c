"""CSV uploads that mention the bot: `@alignbot train NAME ...` and `@alignbot label NAME`.

One upload reaches the bot as up to three events: ``file_shared``, a ``message`` with subtype
``file_share``, and ``app_mention``, in any order. The message and the mention share a channel
and ts, so the apply-once middleware lets only one of them through; ``file_shared`` has neither,
so every path also claims the upload (its file id, with the message it came in), and only the
first claim acts.

``file_shared`` carries no text, so it finds the message the file was shared with (through
``files.info`` and ``conversations.replies``) to read the command. If that fails, it does
nothing: the message event brings the same upload. Files the bot uploads itself come back as
events too and are dropped by the event filter before reaching these listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alignment.errors import AlignmentError
from bot.budgets import OverBudgetError
from bot.commands.labelers import (
    LabelWithLabeler,
    TrainLabeler,
    addressed_training_text,
    parse_training_command,
)
from bot.commands.text import CommandSyntaxError
from bot.keys import Workspace
from bot.labelers import views as training_views
from bot.labelers.handlers import perform_training
from bot.labelers.intake import (
    UPLOAD_MAX_BYTES,
    IntakeRefusal,
    TrainingPlace,
    fetch_upload,
    train_from_upload,
)
from bot.labelers.labelling import LabelingError, label_rows, load_labeler, rows_to_label
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.external import event_is_external
from bot.slack.failure_text import failure_reason
from bot.slack.files import FileDownloadError, SharedFile, file_info
from bot.slack.origin import Origin
from bot.slack.private import tell_privately
from bot.transport.dedup import claim_once

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """A message with files that speaks to the bot."""

    channel: str
    user: str
    ts: str
    thread_ts: str | None
    text: str
    files: list[SharedFile]

    @property
    def reply_thread(self) -> str:
        return self.thread_ts or self.ts

    @property
    def primary_file(self) -> SharedFile:
        """The file the command acts on: the first table-like one, else simply the first."""
        return next((file for file in self.files if file.looks_like_table), self.files[0])


def upload_of_message(message: Mapping[str, Any], channel: str) -> Upload | None:
    files = [SharedFile.from_api(item) for item in message.get("files") or [] if item.get("id")]
    if not files or not message.get("user") or not message.get("ts"):
        return None
    return Upload(
        channel=channel,
        user=str(message["user"]),
        ts=str(message["ts"]),
        thread_ts=message.get("thread_ts"),
        text=str(message.get("text") or ""),
        files=files,
    )


def _share_of(info: Mapping[str, Any], channel: str) -> Mapping[str, Any] | None:
    """The latest share of the file in ``channel``: a file shared again is a new request."""
    shares = info.get("shares") or {}
    places = [
        dict(place)
        for kind in ("public", "private")
        for place in (shares.get(kind) or {}).get(channel) or []
        if place.get("ts")
    ]
    return max(places, key=lambda place: float(place["ts"]), default=None)


def upload_of_file_shared(
    client: WebClient, event: Mapping[str, Any], handled: Callable[[str, str], bool]
) -> Upload | None:
    """The message a ``file_shared`` event's file came with, when Slack tells where it is.

    Only table-like files whose upload (``handled(file_id, message_ts)``) is not claimed yet
    are followed to their message, so files shared for people cost one look-up.
    """
    file_id, channel = event.get("file_id"), event.get("channel_id")
    if not file_id or not channel:
        return None
    try:
        info = file_info(client, str(file_id))
        share = _share_of(info, str(channel))
        if share is None or not SharedFile.from_api(info).looks_like_table:
            return None
        ts = str(share["ts"])
        if handled(str(file_id), ts):
            return None
        thread = client.conversations_replies(channel=channel, ts=share.get("thread_ts") or ts)
    except (FileDownloadError, SlackApiError) as error:
        log.info("file_shared %s: the message it came with is unknown (%s)", file_id, error)
        return None
    message = next((m for m in thread.get("messages") or [] if m.get("ts") == ts), None)
    if message is None:
        return None
    upload = upload_of_message(message, str(channel))
    # With several files in one message, only the event of the file the command acts on goes on.
    if upload is None or upload.primary_file.id != file_id:
        return None
    return upload


def upload_claim(workspace: Workspace, file_id: str, message_ts: str) -> str:
    """The apply-once key of an upload: its file, in the message it was shared with."""
    return workspace.keys.seen("upload", file_id, message_ts)


def say_in_thread(client: WebClient, upload: Upload, message: block_kit.Message) -> None:
    try:
        client.chat_postMessage(
            channel=upload.channel, thread_ts=upload.reply_thread, **message.as_kwargs()
        )
    except SlackApiError as error:
        log.warning("could not answer upload %s: %s", upload.ts, error.response.get("error"))


def train_from(
    services: Services, workspace: Workspace, upload: Upload, command: TrainLabeler
) -> None:
    place = TrainingPlace(workspace, upload.channel, upload.user, upload.reply_thread)
    try:
        train_from_upload(services, place, command, upload.primary_file.id)
    except IntakeRefusal as refusal:
        say_in_thread(
            services.slack_for(workspace),
            upload,
            training_views.upload_problem(command.name, upload.user, str(refusal)),
        )


def label_from(
    services: Services, workspace: Workspace, upload: Upload, command: LabelWithLabeler
) -> None:
    client = services.slack_for(workspace)
    try:
        loaded = load_labeler(services, workspace, command.name)
        file, data = fetch_upload(services, workspace, upload.primary_file.id)
        frame = rows_to_label(loaded, data, UPLOAD_MAX_BYTES)
    except (LabelingError, IntakeRefusal) as error:
        say_in_thread(
            client, upload, training_views.upload_problem(command.name, upload.user, str(error))
        )
        return
    try:
        # One model call per row, spent before the first one is made.
        services.budgets.spend(workspace, upload.user, len(frame))
    except OverBudgetError as refused:
        say_in_thread(
            client,
            upload,
            training_views.upload_problem(command.name, upload.user, refused.explain()),
        )
        return
    say_in_thread(client, upload, training_views.labelling_started(command.name, len(frame)))
    try:
        labelled = label_rows(loaded, frame)
    except AlignmentError as error:  # the model failed: say why, in the upload's thread
        log.warning("labelling a file with %s failed: %s", command.name, error, exc_info=True)
        problem = f"The model failed while labelling: {failure_reason(error)}. Try again later."
        say_in_thread(client, upload, block_kit.error(problem))
        return
    stem = file.name.rsplit(".", 1)[0] or "rows"
    try:
        client.files_upload_v2(
            channel=upload.channel,
            thread_ts=upload.reply_thread,
            content=labelled.content,
            filename=f"{stem}-labelled-by-{command.name}.csv",
            title=f"{stem} labelled by {command.name}",
            initial_comment=training_views.predictions_comment(
                command.name,
                loaded.version.version,
                labelled.rows,
                labelled.unlabelled,
                labelled.column,
                upload.user,
                labelled.known,
            ),
        )
    except SlackApiError as error:
        log.warning("could not upload predictions: %s", error.response.get("error"))
        say_in_thread(
            client, upload, block_kit.error("Uploading the labelled file failed. Try again.")
        )


def handle_upload(
    services: Services, workspace: Workspace, bot_user_id: str | None, upload: Upload
) -> None:
    """Act once on an upload whose message starts with the bot's mention and a labeler word."""
    text = addressed_training_text(upload.text, bot_user_id)
    if text is None:
        return
    claim = upload_claim(workspace, upload.primary_file.id, upload.ts)
    if not claim_once(services.redis, claim):
        log.info("upload of %s already handled", upload.primary_file.id)
        return
    client = services.slack_for(workspace)
    try:
        command = parse_training_command(text)
    except CommandSyntaxError as error:
        say_in_thread(client, upload, block_kit.error(error.explain()))
        return
    match command:
        case TrainLabeler():
            train_from(services, workspace, upload, command)
        case LabelWithLabeler() if not command.values and not command.text:
            label_from(services, workspace, upload, command)
        case None:
            return
        case _:
            origin = Origin(workspace, upload.user, upload.channel, client, upload.thread_ts)
            perform_training(services, origin, command)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def speaks_to_bot(event: dict[str, Any], context: BoltContext) -> bool:
        text = str(event.get("text") or "")
        return bool(event.get("files")) and (
            addressed_training_text(text, context.bot_user_id) is not None
        )

    def has_files(event: dict[str, Any]) -> bool:
        return bool(event.get("files"))

    def guest_refused(
        body: dict[str, Any], event: dict[str, Any], context: BoltContext, upload: Upload
    ) -> bool:
        """Someone of another organization (Slack Connect) uploading to train or label: told
        why not, unless the workspace allows it."""
        if services.settings.allow_external_users or not event_is_external(body, event, context):
            return False
        if addressed_training_text(upload.text, context.bot_user_id) is None:
            return False  # not speaking to the bot: nothing to refuse
        refusal = block_kit.error(EXTERNAL_REFUSAL)
        client = services.slack_for(Workspace.from_context(context))
        tell_privately(client, upload.channel, upload.user, upload.thread_ts, refusal)
        return True

    def from_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        upload = upload_of_message(event, str(event.get("channel") or ""))
        if upload is not None and not guest_refused(body, event, context, upload):
            handle_upload(services, Workspace.from_context(context), context.bot_user_id, upload)

    def from_file_shared(
        body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        workspace = Workspace.from_context(context)

        def handled(file_id: str, message_ts: str) -> bool:
            return bool(services.redis.exists(upload_claim(workspace, file_id, message_ts)))

        upload = upload_of_file_shared(client, event, handled)
        if upload is not None and not guest_refused(body, event, context, upload):
            handle_upload(services, workspace, context.bot_user_id, upload)

    # Every file share is taken (and acked), so shares meant for people are not left
    # unhandled; ``handle_upload`` acts only on those whose text speaks to the bot.
    app.event({"type": "message", "subtype": "file_share"}, matchers=[has_files])(
        ack=acknowledge, lazy=[from_message]
    )
    app.event("app_mention", matchers=[speaks_to_bot])(ack=acknowledge, lazy=[from_message])
    app.event("file_shared")(ack=acknowledge, lazy=[from_file_shared])
