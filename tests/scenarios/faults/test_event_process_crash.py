"""An event process SIGKILLed while it holds events: everything acked is applied, exactly once.

Events are acked over HTTP by a bot whose own pump has stopped, so they wait in Redis. An event
process (``tests.fakes.held_events``, a real process with the product's pump and apply-once
middleware) takes them all and holds them mid-work; it is killed; another takes over its work
once it stops beating, and applies each event once, a Slack retry of one of them included.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.transport.event_queue import EventQueue
from tests.fakes.bot_harness import REPO_ROOT, InProcessBot, bot_environment, wait_until
from tests.fakes.held_events import LEASE_VARIABLE, RELEASE_KEY, STARTED_KEY
from tests.fakes.probe_listeners import register_echo
from tests.fakes.slack_emulator import SlackEmulator

CHANNEL = "C0CRASH01"
LEASE_SECONDS = 3
EVENTS = 4


def mention(n: int) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0PERSON1",
        "text": f"event {n}",
        "channel": CHANNEL,
        "ts": f"1700000000.{n:06d}",
    }


@pytest.fixture
def event_process(
    slack: SlackEmulator, redis_url: str, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = bot_environment(slack, redis_url, tmp_path / "data")
    env.update({LEASE_VARIABLE: str(LEASE_SECONDS), "PYTHONPATH": str(REPO_ROOT)})

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"events{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.held_events"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def posts(slack: SlackEmulator) -> list[str]:
    return [str(call.params.get("text")) for call in slack.calls_to("chat.postMessage")]


def test_events_held_by_a_killed_event_process_are_applied_once_by_another(
    in_process_bot: Callable[..., InProcessBot],
    event_process: Callable[[], subprocess.Popen[bytes]],
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    acking = in_process_bot(register_echo)
    acking.finish_work()  # acks and queues; applies nothing
    for n in range(EVENTS):
        assert acking.event(mention(n), event_id=f"Ev0CRASH{n}").status == 200
    # Slack redelivers one of them while the first copy is held: a repeat, not a new event.
    assert acking.event(mention(0), event_id="Ev0CRASH0", retry_num=1).status == 200

    doomed = event_process()
    wait_until(lambda: redis_client.llen(STARTED_KEY) == EVENTS, 30, what="the events to be held")
    queue = EventQueue(redis_client)
    wait_until(lambda: queue.depth() == 0, 10, what="the repeat to be taken")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    assert posts(slack) == []

    redis_client.set(RELEASE_KEY, "1")
    event_process()

    wait_until(lambda: len(posts(slack)) >= EVENTS, 60, what="the held events to be applied")
    time.sleep(1)  # room for a late duplicate to show
    assert sorted(posts(slack)) == [f"held app_mention: event {n}" for n in range(EVENTS)]
    wait_until(lambda: not redis_client.keys(f"{queue.processing_prefix}*"), 10, what="cleanup")
    assert queue.depth() == 0
