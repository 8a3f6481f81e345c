from __future__ import annotations

import threading

import pytest

from alignment._providers.usage import ModelUsage


def test_counts_from_many_threads_add_up_exactly() -> None:
    usage = ModelUsage()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(500):
            usage.add(calls=1, requests=2, prompt_tokens=3)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals = usage.snapshot()
    assert (totals.calls, totals.requests, totals.prompt_tokens) == (4000, 8000, 12000)


def test_snapshot_does_not_move_with_later_counts() -> None:
    usage = ModelUsage()
    usage.add(calls=1, output_tokens=5)
    before = usage.snapshot()
    usage.add(calls=1, output_tokens=5)
    assert before.as_dict()["calls"] == 1
    assert usage.as_dict()["calls"] == 2
    assert usage.as_dict()["output_tokens"] == 10


def test_as_dict_names_every_counter() -> None:
    assert set(ModelUsage().as_dict()) == {
        "calls",
        "requests",
        "retries",
        "errors",
        "empty_answers",
        "prompt_tokens",
        "output_tokens",
        "thinking_tokens",
    }


def test_unknown_counter_is_refused() -> None:
    usage = ModelUsage()
    with pytest.raises(AttributeError):
        usage.add(tokens=1)
    with pytest.raises(AttributeError):
        usage.add(_lock=1)
