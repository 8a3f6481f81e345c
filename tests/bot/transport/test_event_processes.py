"""``alignbot serve`` and the event processes it starts: kept running, and never left behind."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import psutil

from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.slack_emulator import BOT_USER_ID, SlackEmulator

CHANNEL = "C0EVENTS1"


def event_processes(bot: BotProcess) -> list[psutil.Process]:
    assert bot.process is not None
    children = psutil.Process(bot.process.pid).children()
    return [child for child in children if "events" in child.cmdline()]


def help_mention(n: int) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0PERSON1",
        "text": f"<@{BOT_USER_ID}> help",
        "channel": CHANNEL,
        "ts": f"1700000000.{n:06d}",
    }


def answers(slack: SlackEmulator) -> int:
    # The bot answers "help" privately, to the person who asked.
    return len(slack.calls_to("chat.postEphemeral", ok_only=True))


def test_a_killed_event_process_is_replaced_and_events_keep_being_applied(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator
) -> None:
    bot = bot_process(ALIGN_EVENT_PROCESSES="2")
    assert len(event_processes(bot)) == 2
    assert bot.event(help_mention(1)).status == 200
    wait_until(lambda: answers(slack) == 1, 15, what="the first answer")

    for child in event_processes(bot):
        child.send_signal(signal.SIGKILL)
        child.wait(5)
    # Acked while no event process runs: it waits in Redis for the replacements.
    assert bot.event(help_mention(2)).status == 200

    wait_until(lambda: answers(slack) == 2, 30, what="the answer after the restart")
    assert len(event_processes(bot)) == 2
    assert "starting another" in bot.output()


def test_event_processes_stop_with_their_bot_even_when_it_is_killed(
    bot_process: Callable[..., BotProcess],
) -> None:
    stopped = bot_process()
    [child] = event_processes(stopped)
    assert stopped.stop() == 0
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE

    killed = bot_process()
    [orphan] = event_processes(killed)
    killed.stop(signal.SIGKILL)

    started = time.monotonic()
    orphan.wait(15)  # raises psutil.TimeoutExpired if it kept running
    assert time.monotonic() - started < 15


def test_with_no_event_processes_the_serving_process_applies_events(
    bot_process: Callable[..., BotProcess], slack: SlackEmulator
) -> None:
    bot = bot_process(ALIGN_EVENT_PROCESSES="0")
    assert event_processes(bot) == []

    assert bot.event(help_mention(3)).status == 200

    wait_until(lambda: answers(slack) == 1, 15, what="the answer")
