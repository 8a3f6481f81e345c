"""What people see when a run moves on: thread notes, the report with its plot, notifications.

Everything here talks to Slack and tolerates Slack failing: a run's state in Redis is the truth,
and a message that could not be posted is logged, not allowed to undo the training.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import redis
from slack_sdk.errors import SlackClientError

from alignment.errors import LabelerModelError
from bot.labelers.datasets import DatasetStoreError
from bot.labelers.jobs.delivery import RunDeliveries, find_marked, message_metadata
from bot.labelers.jobs.lease import Lease, LeaseLostError
from bot.labelers.jobs.progress_message import ProgressMessage
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.notify import Notification, notification_text
from bot.labelers.plot import accuracy_plot_png, plot_notes, upload_plot
from bot.labelers.progress import view_for_run
from bot.labelers.report import TrainingReport, report_messages
from bot.labelers.run_state import CANCELLED, RunStore, StaleRunError, TrainingRun
from bot.labelers.store import LabelerStore
from bot.slack.failure_text import failure_reason

log = logging.getLogger(__name__)

# How far before an attempt's recorded start the channel is searched for its notice: the worker's
# clock and Slack's can disagree, and a ts is given when Slack receives the post.
LOOK_BACK_SECONDS = 120.0
# A look-up reads at most this many pages of this many messages; a run's thread and a minute or
# two of one channel fit easily, and a look-up that runs past them posts again.
LOOK_UP_PAGES = 5
LOOK_UP_PAGE_SIZE = 200


def progress_message(runtime: TrainingRuntime, run: TrainingRun) -> ProgressMessage:
    return ProgressMessage(
        runtime.services.slack_for(run.workspace),
        runtime.redis,
        run.workspace,
        run.run_id,
        run.channel,
        run.message_ts,
        runtime.clock,
        runtime.config.progress_interval_seconds,
    )


def show_final_state(runtime: TrainingRuntime, run: TrainingRun) -> None:
    """Edit the progress message to the run's ended state (waiting for the throttle)."""
    progress_message(runtime, run).show(view_for_run(run, runtime.clock.now()))


def post_in_thread(
    runtime: TrainingRuntime,
    run: TrainingRun,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> str | None:
    """Post in the run's thread; returns the message's ts, or None when Slack refused it."""
    try:
        client = runtime.services.slack_for(run.workspace)
        response = client.chat_postMessage(
            channel=run.channel,
            thread_ts=run.thread_ts,
            text=text,
            blocks=blocks,
            metadata=metadata,
        )
    except (SlackClientError, OSError):
        log.warning("could not post to the thread of run %s", run.run_id, exc_info=True)
        return None
    ts = response.get("ts")
    return str(ts) if ts else None


def edit_message(
    runtime: TrainingRuntime,
    run: TrainingRun,
    channel: str,
    ts: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Replace a message the run posted before with its content of this attempt."""
    try:
        client = runtime.services.slack_for(run.workspace)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except (SlackClientError, OSError):
        log.warning("could not edit message %s of run %s", ts, run.run_id, exc_info=True)


def _edit_in_thread(
    runtime: TrainingRuntime,
    run: TrainingRun,
    text: str,
    blocks: list[dict[str, Any]] | None,
    ts: str,
) -> None:
    edit_message(runtime, run, run.channel, ts, text, blocks)


def _look_up(
    run: TrainingRun,
    kind: str,
    where: str,
    fetch: Callable[[str | None], Any],
) -> str | None:
    """Page through ``fetch(cursor)`` for the message of ``kind`` an earlier attempt posted;
    its ts, or None when it is not there or Slack could not be asked (then it is posted again)."""
    cursor: str | None = None
    try:
        for _ in range(LOOK_UP_PAGES):
            response = fetch(cursor)
            found = find_marked(response.get("messages") or [], run.run_id, kind)
            if found is not None:
                return found
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
    except (SlackClientError, OSError):
        log.warning(
            "could not look in %s for the %s an earlier attempt of run %s may have posted; "
            "posting it again",
            where,
            kind,
            run.run_id,
            exc_info=True,
        )
    return None


def find_in_thread(
    runtime: TrainingRuntime, run: TrainingRun, kind: str, started: float
) -> str | None:
    """The ts of the message of ``kind`` in the run's thread, if an earlier attempt posted it.

    ``started`` is not needed: the thread is the run's own and short, so all of it is read."""
    client = runtime.services.slack_for(run.workspace)
    return _look_up(
        run,
        kind,
        "the thread",
        lambda cursor: client.conversations_replies(
            channel=run.channel,
            ts=run.thread_ts,
            include_all_metadata=True,
            limit=LOOK_UP_PAGE_SIZE,
            cursor=cursor,
        ),
    )


def find_in_channel(
    runtime: TrainingRuntime, run: TrainingRun, channel: str, kind: str, started: float
) -> str | None:
    """The ts of the message of ``kind`` posted to ``channel`` since the attempt ``started``."""
    client = runtime.services.slack_for(run.workspace)
    return _look_up(
        run,
        kind,
        f"channel {channel}",
        lambda cursor: client.conversations_history(
            channel=channel,
            oldest=f"{started - LOOK_BACK_SECONDS:.6f}",
            include_all_metadata=True,
            limit=LOOK_UP_PAGE_SIZE,
            cursor=cursor,
        ),
    )


def post_report(runtime: TrainingRuntime, run: TrainingRun, report: TrainingReport) -> None:
    """The report messages, then the accuracy plot, in the run's thread; each at most once per
    run, so a closing step that runs again edits the report rather than posting a second one."""
    deliveries = RunDeliveries(runtime.redis, run.workspace, run.run_id)
    for part, (text, blocks) in enumerate(report_messages(report), start=1):
        kind = f"report:{part}"
        deliveries.deliver(
            kind,
            post=partial(
                post_in_thread, runtime, run, text, blocks, message_metadata(run.run_id, kind)
            ),
            edit=partial(_edit_in_thread, runtime, run, text, blocks),
            find=partial(find_in_thread, runtime, run, kind),
            now=runtime.clock.now(),
        )
    deliveries.deliver("plot", post=lambda: upload_accuracy_plot(runtime, run, report))


def upload_accuracy_plot(
    runtime: TrainingRuntime, run: TrainingRun, report: TrainingReport
) -> str | None:
    """Upload the plot of accuracy per step; returns the file id (None when it failed)."""
    score_fn = str(run.settings.get("hparams", {}).get("score_fn", "accuracy"))
    target = LabelerStore(runtime.redis, run.workspace).notification_settings(run.labeler).target
    first_step = run.history[0].step if run.history else 1
    notes = plot_notes(report.checkpoint, first_step, report.scorecard, target)
    try:
        png = accuracy_plot_png(run.labeler, run.charted_steps, score_fn, notes)
        return upload_plot(
            runtime.services.slack_for(run.workspace), run.channel, run.thread_ts, run.labeler, png
        )
    except (SlackClientError, OSError):
        log.warning("could not upload the accuracy plot of run %s", run.run_id, exc_info=True)
        return None


def send_notification(
    runtime: TrainingRuntime, run: TrainingRun, notification: Notification, step: int, kind: str
) -> None:
    """Post ``notification`` to the labeler's notification channel (default: the run's own
    channel, outside the thread so the channel sees it) and remember it as the last one.

    ``kind`` names the notice within the run (one per step, one at the end). A notice already
    posted under that kind is left as it is: an attempt that runs again would compare with the
    value the first attempt just recorded, and read as "no change"."""
    store = LabelerStore(runtime.redis, run.workspace)
    settings = store.notification_settings(run.labeler)
    text = notification_text(notification, run.labeler, step, run.steps_total, settings.target)
    channel = settings.channel or run.channel

    def post() -> str | None:
        try:
            client = runtime.services.slack_for(run.workspace)
            response = client.chat_postMessage(
                channel=channel, text=text, metadata=message_metadata(run.run_id, kind)
            )
        except (SlackClientError, OSError):
            log.warning("could not post a notification for run %s", run.run_id, exc_info=True)
            return None
        ts = response.get("ts")
        return str(ts) if ts else None

    deliveries = RunDeliveries(runtime.redis, run.workspace, run.run_id)
    if deliveries.posted(kind) is not None:
        return
    posted = deliveries.deliver(
        kind,
        post=post,
        find=partial(find_in_channel, runtime, run, channel, kind),
        now=runtime.clock.now(),
    )
    # A notice found by the look-up was posted by an attempt that died before recording it,
    # and so before this line: the accuracy it announced is recorded now.
    if posted is not None:
        store.set_last_notified_accuracy(run.labeler, notification.accuracy)


def kept_version_text(run: TrainingRun) -> str:
    if not run.history:
        return "No step finished, so no new version was saved."
    last = run.history[-1]
    return f"Version {last.version} (after step {last.step}) is kept and is what the labeler uses."


def end_run(
    runtime: TrainingRuntime,
    run_id: str,
    store: RunStore,
    status: str,
    reason: str,
    lease: Lease | None = None,
    change: Callable[[TrainingRun], None] | None = None,
) -> TrainingRun | None:
    """End the run as ``status`` (cancelled or failed), say why in its thread, show the final
    progress. Returns None when the run had already ended or moved on (nothing is posted)."""

    def finish(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
        if lease is not None:
            lease.check(pipe)
        run.status = status
        run.error = reason
        run.finished_at = runtime.clock.now()
        if change is not None:
            change(run)

    try:
        run = store.update(run_id, finish, watch=(lease.key,) if lease is not None else ())
    except (StaleRunError, LeaseLostError):
        return None
    icon = ":black_square_for_stop:" if status == CANCELLED else ":x:"
    post_in_thread(runtime, run, f"{icon} {reason} {kept_version_text(run)}")
    show_final_state(runtime, run)
    return run


def describe_failure(error: BaseException, step: int) -> str:
    if isinstance(error, DatasetStoreError):
        return f"Training stopped during step {step}: {failure_reason(error)}"
    if isinstance(error, LabelerModelError):
        return (
            f"Training stopped during step {step} because a model call failed for good: "
            f"{failure_reason(error)}. "
            "Check the model settings (ALIGN_MODEL, ALIGN_TRAIN_MODEL) and the provider's "
            "status, then start the training again."
        )
    return (
        f"Training stopped during step {step} because of an unexpected error "
        f"({type(error).__name__}: {failure_reason(error)}). Start it again; if it happens "
        "again, tell the "
        "bot's operators."
    )
