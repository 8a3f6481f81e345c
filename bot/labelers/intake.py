"""From a CSV shared in Slack to a queued training: fetch it, check it, start the run.

Nothing is stored or queued until the file has passed the library's CSV checks: every refusal
before that point is an ``IntakeRefusal`` whose message says what is wrong and how to fix it,
and it leaves Redis as it was. Both ways of starting a training (an upload that mentions the
bot, and the `/align train` form) go through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from alignment.data import (
    DatasetError,
    DatasetLimits,
    ScoreLabelsError,
    listed_names,
    load_dataset,
    read_columns,
)
from bot.commands.labelers import TrainLabeler
from bot.keys import Workspace
from bot.labelers.datasets import DatasetStoreError
from bot.labelers.jobs import TrainingHandle, TrainingRequest, start_training
from bot.labelers.jobs.start import TrainingRequestError
from bot.labelers.permissions import notify_channel_refusal, retrain_refusal
from bot.labelers.run_state import RunStore, TrainingInProgressError
from bot.labelers.store import LabelerStore, LabelerStoreError, NotificationSettings
from bot.prompts.store import NAME_KIND as PROMPT_KIND
from bot.services import Services
from bot.slack.files import FileDownloadError, SharedFile, download, shared_file

# Big enough for tens of thousands of labelled rows; the stored training data has its own,
# smaller cap, and bigger files only cost memory and model calls without teaching more.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_LIMITS = DatasetLimits(max_bytes=UPLOAD_MAX_BYTES)
NOT_IN_CHANNEL_CODES = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class IntakeRefusal(Exception):
    """The training cannot start; ``str()`` tells the person what to change."""


@dataclass(frozen=True)
class TrainingPlace:
    """Who asked, and where the progress message and report go."""

    workspace: Workspace
    channel: str
    user: str
    thread_ts: str | None = None


def refuse_if_unavailable(services: Services, workspace: Workspace, name: str) -> None:
    """Refuse a name a prompt uses, or a labeler that is training right now."""
    kind = services.redis.hget(workspace.keys.names(), name)
    if kind == PROMPT_KIND:
        raise IntakeRefusal(
            f"`{name}` is the name of a prompt in this workspace; pick another name for the "
            "labeler."
        )
    if RunStore(services.redis, workspace).running_run_id(name) is not None:
        raise IntakeRefusal(
            f"`{name}` is already training. Wait for it to finish, or stop it with "
            f"`/align cancel {name}`."
        )


def fetch_upload(
    services: Services, workspace: Workspace, file: str | SharedFile
) -> tuple[SharedFile, bytes]:
    """Look the file up (when given its id) and download it with the workspace's token,
    within the upload cap."""
    try:
        client = services.slack_for(workspace)
        found = shared_file(client, file) if isinstance(file, str) else file
        data = download(
            found,
            services.bot_token(workspace),
            services.settings.slack_api_url,
            UPLOAD_MAX_BYTES,
        )
    except FileDownloadError as error:
        raise IntakeRefusal(str(error)) from error
    return found, data


def header_of(data: bytes) -> list[str]:
    try:
        return read_columns(data, UPLOAD_MAX_BYTES)
    except DatasetError as error:
        raise IntakeRefusal(str(error)) from error


def choose_columns(
    header: Sequence[str], label: str | None, inputs: Sequence[str]
) -> tuple[str, list[str]]:
    """The label column (which must be named) and the inputs (default: every other column)."""
    listed = listed_names(header)
    if label is None:
        raise IntakeRefusal(
            f"Say which column holds the labels, e.g. `label={header[-1]}`. The file's columns "
            f"are {listed}."
        )
    if inputs:
        return label, list(inputs)
    return label, [column for column in header if column != label]


def threshold_hint(column: str) -> str:
    """How to give a threshold in Slack, added to the library's refusal of a score column."""
    return (
        f"Add `threshold=0.5` (or the score where `{column}` becomes True) to the `train` "
        "message, or fill in the form's *Score threshold* after choosing the columns."
    )


def default_task(label: str, inputs: Sequence[str]) -> str:
    read = ", ".join(inputs)
    return f"Read the {read} of an example and decide its {label}."


def merged_notifications(
    services: Services, workspace: Workspace, command: TrainLabeler
) -> NotificationSettings | None:
    """The labeler's notification settings with what the command changes, or None if nothing."""
    if command.notify_channel is None and command.target is None and command.delta is None:
        return None
    current = LabelerStore(services.redis, workspace).notification_settings(command.name)
    return NotificationSettings(
        channel=command.notify_channel or current.channel,
        target=command.target if command.target is not None else current.target,
        delta=command.delta if command.delta is not None else current.delta,
    )


def start_from_data(
    services: Services,
    place: TrainingPlace,
    command: TrainLabeler,
    file: SharedFile,
    data: bytes,
) -> TrainingHandle:
    """Check the data with the library's loader, then store it and queue the first step."""
    # Every way of starting a training (form, upload, mention) ends here: check once, last.
    refusal = retrain_refusal(services, place.workspace, command.name, place.user)
    refusal = refusal or notify_channel_refusal(
        services, place.workspace, place.user, command.notify_channel, place.channel
    )
    if refusal is not None:
        raise IntakeRefusal(refusal)
    header = header_of(data)
    label, inputs = choose_columns(header, command.label, command.inputs)
    try:
        frame = load_dataset(data, inputs, label, UPLOAD_LIMITS, threshold=command.threshold)
    except ScoreLabelsError as error:
        raise IntakeRefusal(f"{error} {threshold_hint(error.column)}") from error
    except DatasetError as error:
        raise IntakeRefusal(str(error)) from error
    request = TrainingRequest(
        labeler=command.name,
        frame=frame,
        label=label,
        inputs=inputs,
        task_description=command.task or default_task(label, inputs),
        channel=place.channel,
        user=place.user,
        steps=command.steps,
        thread_ts=place.thread_ts,
        source_name=file.name,
        notifications=merged_notifications(services, place.workspace, command),
        threshold=command.threshold,
        experts=command.experts,
    )
    try:
        return start_training(services, place.workspace, request)
    except (
        TrainingRequestError,
        TrainingInProgressError,
        LabelerStoreError,
        DatasetStoreError,
    ) as error:
        raise IntakeRefusal(str(error)) from error
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in NOT_IN_CHANNEL_CODES:
            raise IntakeRefusal(
                "I cannot post in this channel. Invite me with `/invite @alignbot`, then start "
                "the training again."
            ) from error
        raise


def train_from_upload(
    services: Services, place: TrainingPlace, command: TrainLabeler, file: str | SharedFile
) -> TrainingHandle:
    """The whole intake for one file: availability, download, checks, start."""
    refuse_if_unavailable(services, place.workspace, command.name)
    found, data = fetch_upload(services, place.workspace, file)
    return start_from_data(services, place, command, found, data)
