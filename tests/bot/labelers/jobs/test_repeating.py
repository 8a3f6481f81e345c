from __future__ import annotations

import logging
import threading

import pytest

from bot.labelers.jobs.repeating import RepeatingTask
from tests.fakes.bot_harness import wait_until


def test_a_failing_round_is_logged_and_the_next_round_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    lock = threading.Lock()

    def task() -> None:
        with lock:
            rounds.append(len(rounds) + 1)
            if len(rounds) == 1:
                raise RuntimeError("redis went away")

    logger = logging.getLogger("tests.repeating")
    repeating = RepeatingTask(task, 0.01, "test-repeating", logger, "the round failed")
    with caplog.at_level(logging.ERROR, logger="tests.repeating"):
        repeating.start()
        try:
            wait_until(lambda: len(rounds) >= 3, 10, what="three rounds")
        finally:
            repeating.stop()
    assert [record.getMessage() for record in caplog.records] == ["the round failed"]
    assert caplog.records[0].exc_info is not None
    assert not repeating._thread.is_alive()
