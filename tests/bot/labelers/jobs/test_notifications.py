"""Accuracy notifications: the rules (delta, target crossed up and down, first, end of training)
and what reaches the labeler's notification channel during a real training."""

from __future__ import annotations

import pytest

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.notify import (
    ENDED,
    FELL_BELOW,
    FIRST,
    MOVED,
    REACHED,
    after_step,
    at_end,
    notification_text,
)
from bot.labelers.store import LabelerStore, NotificationSettings
from tests.bot.labelers.jobs.support import CHANNEL, WORKSPACE, World, training_request
from tests.fakes.slack_emulator import SlackEmulator

ALERTS = "C0ALERTS"


@pytest.mark.parametrize(
    ("previous", "accuracy", "delta", "target", "reason"),
    [
        (None, 0.7, 0.05, None, FIRST),
        (0.80, 0.84, 0.05, None, None),
        (0.80, 0.85, 0.05, None, MOVED),
        (0.80, 0.75, 0.05, None, MOVED),
        (0.80, 0.76, 0.05, None, None),
        (0.88, 0.90, 0.05, 0.90, REACHED),
        (0.91, 0.89, 0.05, 0.90, FELL_BELOW),
        (0.91, 0.93, 0.05, 0.90, None),  # stays above the target, small move
        (0.60, 0.95, 0.05, 0.90, REACHED),  # crossing says more than the size of the move
    ],
)
def test_when_a_step_is_worth_a_notification(
    previous: float | None, accuracy: float, delta: float, target: float | None, reason: str | None
) -> None:
    due = after_step(accuracy, previous, delta, target)
    assert (due.reason if due else None) == reason


def test_the_end_of_a_training_is_always_announced() -> None:
    assert at_end(0.8, 0.8).reason == ENDED
    text = notification_text(at_end(0.8, 0.7), "spam", 3, 3, None)
    assert "`spam` finished training: test accuracy 80.0% (+10.0 points" in text


def test_notification_texts_say_which_way_and_why() -> None:
    reached = after_step(0.9, 0.88, 0.05, 0.9)
    fell = after_step(0.85, 0.91, 0.05, 0.9)
    assert reached is not None and fell is not None
    assert "reached its target of 90.0%" in notification_text(reached, "spam", 2, 3, 0.9)
    assert "fell below its target of 90.0%" in notification_text(fell, "spam", 2, 3, 0.9)
    assert "after step 2 of 3" in notification_text(fell, "spam", 2, 3, 0.9)


def test_a_training_notifies_its_channel_on_crossing_the_target_and_at_the_end(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    labelers = LabelerStore(runtime.redis, WORKSPACE)
    request = training_request(
        world.frame, notifications=NotificationSettings(channel=ALERTS, target=0.6, delta=0.05)
    )
    labelers.claim("hate", {}, "U1")
    labelers.set_last_notified_accuracy("hate", 0.5)
    start_training(runtime.services, WORKSPACE, request)
    run_burst(runtime)

    # The pretend model's test accuracy is 62.5% after every step: step 1 crosses the 60% target
    # from the last notice (50%), step 2 changes nothing, and the end is always announced.
    notices = [m["text"] for m in slack.channel_messages(ALERTS)]
    assert len(notices) == 2
    assert "reached its target of 60.0%" in notices[0] and "after step 1 of 3" in notices[0]
    assert "finished training: test accuracy 62.5%" in notices[1]
    assert labelers.last_notified_accuracy("hate") == pytest.approx(0.625)
    assert not any(m.get("thread_ts") for m in slack.channel_messages(ALERTS))


def test_without_a_notification_channel_the_training_channel_hears(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))
    run_burst(runtime)
    top_level = [m["text"] for m in slack.channel_messages(CHANNEL) if not m.get("thread_ts")]
    assert any("finished training" in text for text in top_level)
