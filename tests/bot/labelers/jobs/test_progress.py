"""The progress message: what it shows, and how often it may be edited."""

from __future__ import annotations

import redis

from bot.labelers.jobs.progress_message import ProgressMessage
from bot.labelers.progress import (
    ProgressView,
    Throttle,
    format_duration,
    overall,
    progress_bar,
    render_progress,
    within_step,
)
from bot.labelers.run_state import CANCELLED, FAILED, FINISHED, QUEUED, RUNNING
from bot.services import Services
from tests.bot.labelers.jobs.support import CHANNEL, WORKSPACE, FakeClock, all_text
from tests.fakes.slack_emulator import SlackEmulator


def view(**changes: object) -> ProgressView:
    values: dict[str, object] = {
        "labeler": "spam",
        "status": RUNNING,
        "step": 2,
        "steps_total": 4,
        "fraction": 0.375,
        "model_calls": 1234,
        "accuracy": 0.8125,
        "elapsed_seconds": 65.9,
        "split_text": "40 rows: 32 to train, 8 to test (20%).",
        "phase": "score",
    }
    values.update(changes)
    return ProgressView(**values)  # type: ignore[arg-type]


def test_the_message_shows_bar_step_calls_accuracy_elapsed_and_split() -> None:
    text, blocks = render_progress(view())
    shown = all_text({"text": text, "blocks": blocks})
    assert "step 2 of 4 (scoring candidate rules)" in shown
    assert "`████████░░░░░░░░░░░░` 38%" in shown
    assert "1,234 model calls" in shown and "test accuracy 81.2%" in shown
    assert "1m 05s elapsed" in shown
    assert "32 to train, 8 to test" in shown
    assert "/align cancel spam" in shown


def test_ended_and_waiting_states_have_their_own_headline() -> None:
    def shown(**changes: object) -> str:
        text, blocks = render_progress(view(**changes))
        return all_text({"text": text, "blocks": blocks})

    assert "finished: 4 of 4 steps" in shown(status=FINISHED, step=4, fraction=1.0)
    assert "cancelled after step 1 of 4" in shown(status=CANCELLED, step=1)
    failed = shown(status=FAILED, note="The model is down.")
    assert "stopped during step 2 of 4" in failed and "The model is down." in failed
    assert "/align cancel" not in failed
    assert "waiting for a worker" in shown(status=QUEUED, accuracy=None)
    assert "not measured yet" in shown(accuracy=None)


def test_progress_counts_steps_and_phases() -> None:
    assert progress_bar(0.0, 10) == "░" * 10 and progress_bar(1.0, 10) == "█" * 10
    assert within_step("initialize", 0, 4) == 0.0
    assert 0 < within_step("validate", 1, 2) < within_step("score", 0, 5) < 1
    assert overall(1.5, 4) == 0.375 and overall(4.9, 4) == 1.0 and overall(0, 0) == 1.0
    assert format_duration(3725) == "1h 02m 05s" and format_duration(9.9) == "9s"


def test_the_throttle_allows_one_send_per_interval_from_the_end_of_the_last() -> None:
    clock = FakeClock()
    throttle = Throttle(clock, 3.0)
    assert throttle.due()
    throttle.mark_sent()
    clock.advance(2.9)
    assert not throttle.due()
    throttle.wait()
    assert throttle.due() and throttle.remaining() == 0.0


def test_edits_are_dropped_within_the_interval_but_the_final_one_waits_its_turn(
    services: Services, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    clock = FakeClock()
    ts = services.web_client.chat_postMessage(channel=CHANNEL, text="starting")["ts"]

    def message() -> ProgressMessage:
        return ProgressMessage(
            services.web_client, redis_client, WORKSPACE, "run1", CHANNEL, ts, clock, 3.0
        )

    progress = message()
    progress.record_posted()
    assert not progress.offer(view())
    clock.advance(3.0)
    assert progress.offer(view())
    clock.advance(1.0)
    assert not progress.offer(view())
    # A new worker picks up the time of the last edit from Redis.
    later = message()
    assert not later.offer(view())
    later.show(view(status=FINISHED))
    assert later.throttle.last_sent == clock.now()  # it waited (on the clock), then edited
    updates = slack.calls_to("chat.update", ok_only=True)
    assert len(updates) == 2 and "finished" in updates[-1].params["text"]
