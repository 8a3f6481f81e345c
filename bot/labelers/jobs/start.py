"""Starting a training: the one entry point Slack listeners call once the upload is validated.

``start_training`` checks what is not Slack's business (steps, columns, the labeler's settings,
that the labeler is not already training), stores the data, posts the progress message showing
the train/test split, and queues step 1. Everything after that happens in jobs.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alignment.data import describe_split, label_values, split_dataset
from alignment.labeler import Labeler, check_rows_for_experts
from bot.keys import Workspace
from bot.labelers.datasets import DatasetStore
from bot.labelers.jobs.outcomes import progress_message
from bot.labelers.jobs.progress_message import post_progress_message
from bot.labelers.jobs.queueing import enqueue_step, new_job_id
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, installed_runtime
from bot.labelers.progress import view_for_run
from bot.labelers.run_state import (
    FAILED,
    RunStore,
    TrainingInProgressError,
    TrainingLimitError,
    TrainingRun,
)
from bot.labelers.store import LabelerStore, NotificationSettings
from bot.services import Services

MAX_STEPS = 20
DEFAULT_STEPS = 3
DEFAULT_TEST_FRACTION = 0.2
# Enough to keep a hosted model busy without tripping a small account's rate limit.
DEFAULT_MAX_CONCURRENCY = 8

__all__ = [
    "TrainingHandle",
    "TrainingInProgressError",
    "TrainingRequest",
    "TrainingRequestError",
    "start_training",
]


class TrainingRequestError(ValueError):
    """The request cannot start a training; the message says what to change."""


@dataclass(frozen=True)
class TrainingRequest:
    """What to train: ``frame`` is data already checked by ``alignment.data.load_dataset``."""

    labeler: str
    frame: pd.DataFrame
    label: str
    inputs: Sequence[str]
    task_description: str
    channel: str
    user: str
    steps: int = DEFAULT_STEPS
    # Post the progress message (and so the report) in this thread, e.g. the upload's.
    thread_ts: str | None = None
    source_name: str = ""
    test_fraction: float = DEFAULT_TEST_FRACTION
    seed: int | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    hparams: Mapping[str, Any] = field(default_factory=dict)
    # Set the labeler's notification settings as part of starting (``notify=#channel`` ...).
    notifications: NotificationSettings | None = None
    # The labels were made from scores with this threshold (``load_dataset(threshold=...)``);
    # stored with the labeler so the files it labels later are read by the same rule.
    threshold: float | None = None
    # A mixture of this many experts (``Labeler(n_experts=...)``); 1 is one rule set.
    experts: int = 1


@dataclass(frozen=True)
class TrainingHandle:
    run_id: str
    labeler: str
    job_id: str
    channel: str
    message_ts: str  # the progress message
    thread_ts: str  # where the report will be posted
    dataset_id: str
    split_text: str


def _check(request: TrainingRequest) -> None:
    if not request.labeler.strip():
        raise TrainingRequestError("Give the labeler a name, e.g. `train spam label=isSpam ...`.")
    if not 1 <= request.steps <= MAX_STEPS:
        raise TrainingRequestError(
            f"steps must be between 1 and {MAX_STEPS}, got {request.steps}. Each step costs "
            "model calls; 3 to 5 steps is a good start."
        )
    if not 0.0 < request.test_fraction < 1.0:
        raise TrainingRequestError(
            f"The test share must be between 0 and 1, got {request.test_fraction}."
        )
    missing = [name for name in [*request.inputs, request.label] if name not in request.frame]
    if missing:
        raise TrainingRequestError(f"The data has no column(s) {', '.join(missing)}.")


def _runtime_for(services: Services) -> TrainingRuntime:
    installed = installed_runtime()
    if installed is not None and installed.services is services:
        return installed
    return TrainingRuntime(services, TrainingConfig.from_settings(services.settings))


def start_training(
    services: Services,
    workspace: Workspace,
    request: TrainingRequest,
    runtime: TrainingRuntime | None = None,
) -> TrainingHandle:
    """Store the data, post the progress message and queue step 1 of a new training run.

    Raises TrainingRequestError, TrainingInProgressError, LabelerNameTakenError or
    DatasetTooLargeError (each message says what to do), before anything is posted.
    """
    runtime = runtime or _runtime_for(services)
    config = runtime.config
    _check(request)
    runs = RunStore(runtime.redis, workspace)
    running = runs.running_run_id(request.labeler)
    if running is not None:
        raise TrainingInProgressError(request.labeler, running)
    most_at_once = services.settings.trainings_per_workspace
    if runs.running_in_workspace() >= most_at_once:
        raise TrainingLimitError(request.labeler, most_at_once)
    seed = request.seed if request.seed is not None else secrets.randbits(32)
    columns = [*request.inputs, request.label]
    frame = request.frame[columns]
    train, test = split_dataset(frame, request.label, request.test_fraction, seed)
    try:
        labeler = Labeler(
            list(request.inputs),
            request.label,
            label_values(frame, request.label),
            request.task_description,
            services.train_model,
            services.prompt_model,
            # Racing by default: a team pays for every call, and racing keeps the same rules
            # for far fewer of them (bench/labeler_racing.py); each step still records the
            # kept rules' score on every validation row. ``racing=False`` in hparams opts out.
            hparams={"racing": True, **request.hparams},
            max_concurrency=request.max_concurrency,
            seed=seed,
            score_threshold=request.threshold,
            n_experts=request.experts,
        )
        if request.experts > 1:
            # Refused now, with nothing stored or posted, rather than in the first step.
            check_rows_for_experts(request.experts, len(train))
    except ValueError as error:
        raise TrainingRequestError(f"The training settings cannot be used: {error}") from error
    settings = labeler.settings_dict()
    datasets = DatasetStore(
        runtime.redis,
        workspace,
        config.max_dataset_bytes,
        config.dataset_ttl_seconds,
        workspace_max_bytes=services.settings.dataset_mb_per_workspace * 1_000_000,
    )
    labelers = LabelerStore(runtime.redis, workspace)
    labelers.check_name_free(request.labeler)
    dataset_id = datasets.save(frame, request.label, request.inputs, request.source_name)
    labelers.claim(request.labeler, settings, request.user)
    if request.notifications is not None:
        labelers.set_notification_settings(request.labeler, request.notifications)

    run = TrainingRun(
        run_id=secrets.token_hex(8),
        labeler=request.labeler,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        dataset_id=dataset_id,
        steps_total=request.steps,
        seed=seed,
        test_fraction=request.test_fraction,
        channel=request.channel,
        thread_ts=request.thread_ts or "",
        message_ts="",
        user=request.user,
        split_text=describe_split(train, test, request.label, request.threshold),
        started_at=runtime.clock.now(),
        settings=settings,
    )
    run.updated_at = run.started_at
    try:
        runs.create(run, most_at_once=most_at_once)
    except TrainingInProgressError:
        datasets.delete(dataset_id)  # another start won the race: keep nothing of this one
        raise
    try:
        ts = post_progress_message(
            services.slack_for(workspace),
            request.channel,
            request.thread_ts,
            view_for_run(run, runtime.clock.now()),
        )
    except BaseException:
        # Nothing was shown or queued: free the labeler so the training can be started again.
        def abandon(saved: TrainingRun, pipe: object) -> None:
            saved.status, saved.error = FAILED, "The progress message could not be posted."

        runs.update(run.run_id, abandon)
        raise
    job_id = new_job_id(run.run_id, 1)

    def posted(saved: TrainingRun, pipe: object) -> None:
        saved.message_ts = ts
        saved.thread_ts = saved.thread_ts or ts
        saved.job_id = job_id

    run = runs.update(run.run_id, posted)
    progress_message(runtime, run).record_posted()
    enqueue_step(runtime, run)
    return TrainingHandle(
        run_id=run.run_id,
        labeler=run.labeler,
        job_id=job_id,
        channel=run.channel,
        message_ts=ts,
        thread_ts=run.thread_ts,
        dataset_id=dataset_id,
        split_text=run.split_text,
    )
