"""The closing step runs again after its worker died between posting the report and marking the
run finished: the report, the plot and the end-of-training notice reach Slack once."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from bot.labelers.jobs import step_job
from bot.labelers.jobs.delivery import RunDeliveries
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.step_job import StepJob
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RUNNING, RunStore
from bot.labelers.store import NotificationSettings
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.slack_emulator import SlackEmulator

ALERTS = "C0ALERTS"


class WorkerDied(redis.ConnectionError):
    """Stands in for the worker going away; a Redis error is what the step lets escape."""


def test_a_closing_step_run_twice_posts_the_report_and_the_notice_once(
    runtime: TrainingRuntime,
    world: World,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_send = step_job.send_notification

    def send_then_die(*args: Any, **kwargs: Any) -> None:
        real_send(*args, **kwargs)
        if kwargs.get("kind") == "notice:end":
            raise WorkerDied("the worker went away before marking the run finished")

    monkeypatch.setattr(step_job, "send_notification", send_then_die)
    request = training_request(
        world.frame, steps=1, notifications=NotificationSettings(channel=ALERTS)
    )
    handle = start_training(runtime.services, WORKSPACE, request)
    run_burst(runtime)

    runs = RunStore(runtime.redis, WORKSPACE)
    died = runs.load(handle.run_id)
    assert died is not None and died.status == RUNNING and died.steps_done == 1
    first_report = [all_text(m) for m in thread_messages(slack, handle.thread_ts)]
    assert any("Report for `hate`" in text for text in first_report)
    assert len(slack.channel_messages(ALERTS)) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    edits_before = len(slack.calls_to("chat.update"))

    monkeypatch.setattr(step_job, "send_notification", real_send)
    # What the reaper queues for a run whose steps are all done: the closing step, again.
    outcome = StepJob(runtime, WORKSPACE, handle.run_id, died.next_step, None).run()

    assert outcome == "finished"
    finished = runs.load(handle.run_id)
    assert finished is not None and finished.status == FINISHED
    assert [all_text(m) for m in thread_messages(slack, handle.thread_ts)] == first_report
    assert len(slack.channel_messages(ALERTS)) == 1
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    report_edits = [
        call
        for call in slack.calls_to("chat.update")[edits_before:]
        if "Report for `hate`" in all_text(call.params)
    ]
    assert len(report_edits) == 1


def test_a_message_slack_refused_is_posted_by_the_next_attempt(runtime: TrainingRuntime) -> None:
    deliveries = RunDeliveries(runtime.redis, WORKSPACE, "run-1")
    posts: list[str] = []
    edits: list[str] = []

    def refused() -> str | None:
        posts.append("refused")
        return None

    def accepted() -> str | None:
        posts.append("accepted")
        return "1700000000.000100"

    assert deliveries.deliver("report:1", post=refused, edit=edits.append) is None
    assert deliveries.deliver("report:1", post=accepted, edit=edits.append) == "1700000000.000100"
    assert deliveries.deliver("report:1", post=accepted, edit=edits.append) == "1700000000.000100"
    assert posts == ["refused", "accepted"]
    assert edits == ["1700000000.000100"]
    # Kinds and runs are kept apart.
    assert RunDeliveries(runtime.redis, WORKSPACE, "run-2").posted("report:1") is None
    assert deliveries.posted("report:2") is None
