"""Slack accepts a closing message and the worker dies before its ts is recorded: the next
attempt finds the message by its metadata and does not post it a second time."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from slack_sdk import WebClient

from bot.labelers.jobs.delivery import MESSAGE_EVENT_TYPE, RunDeliveries
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import TrainingHandle, start_training
from bot.labelers.jobs.step_job import StepJob
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RUNNING, RunStore
from bot.labelers.store import LabelerStore, NotificationSettings
from tests.bot.labelers.jobs.support import CHANNEL, WORKSPACE, World, training_request
from tests.fakes.slack_emulator import BOT_TOKEN, ApiCall, SlackEmulator

ALERTS = "C0ALERTS"


class WorkerDied(redis.ConnectionError):
    """Stands in for the worker going away; a Redis error is what the step lets escape."""


def kind_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != MESSAGE_EVENT_TYPE:
        return None
    return str(metadata["event_payload"]["kind"])


def messages_of_kind(slack: SlackEmulator, kind: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages if kind_of(m) == kind]


def posts_of_kind(slack: SlackEmulator, kind: str) -> list[ApiCall]:
    return [
        c for c in slack.calls_to("chat.postMessage", ok_only=True) if kind_of(c.params) == kind
    ]


def die_once_slack_accepts(
    runtime: TrainingRuntime, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The first post of ``kind`` reaches Slack, then the worker dies before the answer is back."""
    # Jobs ask for their workspace's client on every use: hand them this one each time.
    client = runtime.services.slack_for(WORKSPACE)
    monkeypatch.setattr(runtime.services, "slack_for", lambda workspace: client)
    real_post = client.chat_postMessage

    def post_then_die(**kwargs: Any) -> Any:
        response = real_post(**kwargs)
        metadata = kwargs.get("metadata") or {}
        if metadata.get("event_payload", {}).get("kind") == kind:
            monkeypatch.setattr(client, "chat_postMessage", real_post)
            raise WorkerDied("the worker went away before recording the message")
        return response

    monkeypatch.setattr(client, "chat_postMessage", post_then_die)


def run_until_death(runtime: TrainingRuntime, world: World, kind: str) -> TrainingHandle:
    """A one-step run whose closing step dies just after Slack took the message of ``kind``."""
    request = training_request(
        world.frame, steps=1, notifications=NotificationSettings(channel=ALERTS)
    )
    handle = start_training(runtime.services, WORKSPACE, request)
    run_burst(runtime)
    died = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert died is not None and died.status == RUNNING and died.steps_done == 1
    deliveries = RunDeliveries(runtime.redis, WORKSPACE, handle.run_id)
    assert deliveries.posted(kind) is None
    assert deliveries.attempt_started(kind) is not None
    return handle


def run_closing_step_again(runtime: TrainingRuntime, handle: TrainingHandle) -> None:
    """What the reaper queues for a run whose steps are all done: the closing step, again."""
    runs = RunStore(runtime.redis, WORKSPACE)
    died = runs.load(handle.run_id)
    assert died is not None
    assert StepJob(runtime, WORKSPACE, handle.run_id, died.next_step, None).run() == "finished"
    finished = runs.load(handle.run_id)
    assert finished is not None and finished.status == FINISHED


def test_a_report_part_slack_took_before_the_worker_died_is_edited_not_posted_again(
    runtime: TrainingRuntime,
    world: World,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    die_once_slack_accepts(runtime, monkeypatch, "report:1")
    handle = run_until_death(runtime, world, "report:1")
    [first] = messages_of_kind(slack, "report:1")
    assert first["thread_ts"] == handle.thread_ts

    run_closing_step_again(runtime, handle)

    assert messages_of_kind(slack, "report:1") == [first]
    assert "edited" in first
    assert [c for c in slack.calls_to("chat.update", ok_only=True) if c.params["ts"] == first["ts"]]
    assert len(posts_of_kind(slack, "report:1")) == 1
    [look_up] = slack.calls_to("conversations.replies")
    assert look_up.params["ts"] == handle.thread_ts
    assert look_up.params["include_all_metadata"] in ("1", "true", True)
    assert RunDeliveries(runtime.redis, WORKSPACE, handle.run_id).posted("report:1") == first["ts"]
    # The messages the first attempt never reached are posted, once each.
    assert len(messages_of_kind(slack, "notice:end")) == 1


def test_a_notice_slack_took_before_the_worker_died_is_not_posted_again(
    runtime: TrainingRuntime,
    world: World,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    die_once_slack_accepts(runtime, monkeypatch, "notice:end")
    handle = run_until_death(runtime, world, "notice:end")
    [notice] = slack.channel_messages(ALERTS)
    labelers = LabelerStore(runtime.redis, WORKSPACE)
    assert labelers.last_notified_accuracy("hate") is None

    run_closing_step_again(runtime, handle)

    assert slack.channel_messages(ALERTS) == [notice]
    assert len(posts_of_kind(slack, "notice:end")) == 1
    assert "edited" not in notice
    [look_up] = slack.calls_to("conversations.history")
    assert look_up.params["channel"] == ALERTS
    assert look_up.params["include_all_metadata"] in ("1", "true", True)
    deliveries = RunDeliveries(runtime.redis, WORKSPACE, handle.run_id)
    assert deliveries.posted("notice:end") == notice["ts"]
    # The notice did go out, so the accuracy it announced counts as notified.
    assert labelers.last_notified_accuracy("hate") is not None


def test_a_first_attempt_posts_without_looking_for_earlier_messages(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    request = training_request(
        world.frame, steps=1, notifications=NotificationSettings(channel=ALERTS)
    )
    handle = start_training(runtime.services, WORKSPACE, request)
    run_burst(runtime)

    finished = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert finished is not None and finished.status == FINISHED
    assert messages_of_kind(slack, "report:1") and messages_of_kind(slack, "notice:end")
    assert slack.calls_to("conversations.replies") == []
    assert slack.calls_to("conversations.history") == []


@pytest.mark.parametrize(
    ("kind", "look_up_method"),
    [("report:1", "conversations.replies"), ("notice:end", "conversations.history")],
)
def test_when_slack_cannot_be_asked_the_message_is_posted_again_and_logged(
    runtime: TrainingRuntime,
    world: World,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    look_up_method: str,
) -> None:
    die_once_slack_accepts(runtime, monkeypatch, kind)
    handle = run_until_death(runtime, world, kind)
    slack.fail_next(look_up_method, "internal_error")

    with caplog.at_level(logging.WARNING, logger="bot.labelers.jobs.outcomes"):
        run_closing_step_again(runtime, handle)

    assert len(messages_of_kind(slack, kind)) == len(posts_of_kind(slack, kind)) == 2
    [failed] = slack.calls_to(look_up_method)
    assert failed.response["error"] == "internal_error"
    assert any(
        kind in record.getMessage() and "posting it again" in record.getMessage()
        for record in caplog.records
    )


def test_the_earliest_attempt_is_kept_and_a_found_message_is_recorded(
    runtime: TrainingRuntime,
) -> None:
    deliveries = RunDeliveries(runtime.redis, WORKSPACE, "run-1")
    looked: list[float] = []

    def lost() -> str | None:
        return None  # Slack's answer never came back, so nothing is known of the message

    def find(started: float) -> str | None:
        looked.append(started)
        return "1700000000.000100" if len(looked) == 2 else None

    assert deliveries.deliver("notice:end", post=lost, find=find, now=100.0) is None
    assert looked == []
    assert deliveries.deliver("notice:end", post=lost, find=find, now=200.0) is None
    assert deliveries.attempt_started("notice:end") == 100.0
    assert deliveries.deliver("notice:end", post=lost, find=find, now=300.0) == (
        "1700000000.000100"
    )
    assert looked == [100.0, 100.0]
    assert deliveries.posted("notice:end") == "1700000000.000100"
    # Recorded now: the next attempt needs no look-up.
    assert deliveries.deliver("notice:end", post=lost, find=find, now=400.0) == (
        "1700000000.000100"
    )
    assert looked == [100.0, 100.0]


def test_the_emulated_channel_history_answers_like_slack(slack: SlackEmulator) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    metadata = {"event_type": MESSAGE_EVENT_TYPE, "event_payload": {"run": "r", "kind": "k"}}
    first = client.chat_postMessage(channel=CHANNEL, text="first", metadata=metadata)
    client.chat_postMessage(channel=CHANNEL, text="a reply", thread_ts=first["ts"])
    client.chat_postMessage(channel="C0ELSEWHERE", text="elsewhere")
    second = client.chat_postMessage(channel=CHANNEL, text="second")

    everything = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in everything] == ["second", "first"]
    assert "metadata" not in everything[1]
    with_metadata = client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert with_metadata["messages"][1]["metadata"] == metadata
    after_first = client.conversations_history(channel=CHANNEL, oldest=first["ts"])["messages"]
    assert [m["ts"] for m in after_first] == [second["ts"]]
