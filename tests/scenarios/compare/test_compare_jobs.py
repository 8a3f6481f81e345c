"""Comparisons as jobs: a worker killed (or lost) mid-comparison is replaced and the comparison
resumes from the answers already cached; one that keeps losing its worker is ended on
its progress message; `/align cancel NAME` stops a prompt's comparison like its Cancel button.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.compare.state import (
    CANCELLED,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    Comparison,
    ComparisonStore,
    live_pointers,
)
from bot.labelers.jobs.lease import Lease
from bot.labelers.jobs.reaper import Reaper
from bot.labelers.jobs.runtime import TrainingConfig
from bot.labelers.jobs.worker import run_burst
from bot.prompts.store import PromptStore
from bot.run import JOB_WATCHES
from tests.fakes.bot_harness import bot_environment, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slash_commands import CHANNEL
from tests.fakes.worker_processes import Workers
from tests.scenarios.compare.world import SHORT_RULE, TEMPLATE, WORKSPACE, World
from tests.scenarios.feedback.world import message_text
from tests.scenarios.labelers.support import FileSlack

# Short enough that a lost lease is noticed within a few heartbeats of a fraction of a second.
LEASE_SECONDS = 0.6


def comparing(world: World, *items: str) -> Comparison:
    """`uses` with examples ``items``, version 3 keeping answers short; `compare uses 2 3`
    asked, its job queued and not yet run."""
    world.prompt_with_principle()
    ana = world.person()
    for item in items:
        ana.ask(f"examples uses add item={item}")
    PromptStore(world.services.redis, WORKSPACE).edit("uses", TEMPLATE + SHORT_RULE, "U0ANA")
    ana.send("compare uses 2 3")
    world.progress_message()
    wait_until(lambda: world.runtime.queue().count, 15, what="the queued comparison")
    return the_comparison(world)


def the_comparison(world: World) -> Comparison:
    """The one live comparison, found the way the reaper finds it."""
    found = ComparisonStore(world.services.redis, WORKSPACE).live_of("uses")
    assert len(found) == 1
    return found[0]


def reload(world: World, comparison: Comparison) -> Comparison:
    found = ComparisonStore(world.services.redis, WORKSPACE).load(comparison.compare_id)
    assert found is not None
    return found


def progress_texts(world: World) -> list[str]:
    return [str(c.params.get("text")) for c in world.slack.calls_to("chat.update")]


def answer_prompts(world: World) -> list[str]:
    return [p for p in world.model_prompts() if "<answer_1>" not in p]


def pretend_worker_died(world: World, comparison: Comparison, attempts: int) -> None:
    """What a worker leaves when it dies mid-comparison: running, no lease, its job consumed."""
    world.runtime.queue().empty()
    store = ComparisonStore(world.services.redis, WORKSPACE)
    store.update(comparison.compare_id, status=RUNNING, attempts=attempts)


@pytest.fixture
def workers(
    slack: FileSlack, redis_url: str, tmp_path: Path, fake_gemini: FakeGemini
) -> Iterator[Workers]:
    made = Workers(bot_environment(slack, redis_url, tmp_path / "data", fake_gemini.env), tmp_path)
    yield made
    made.stop_all()


def test_a_killed_worker_is_replaced_and_the_comparison_finishes_from_the_cached_answers(
    start: Callable[..., World], workers: Workers
) -> None:
    world = start()
    world.verdicts = {"apple": "new", "rope": "old", "cup": "new"}
    comparison = comparing(world, "apple", "rope", "cup")
    judging, killed = threading.Event(), threading.Event()
    answered: list[str] = []
    after_kill: list[str] = []
    cached = WORKSPACE.keys.compare_answer("*")

    def hold_from_the_first_verdict(request: RecordedRequest) -> str:
        prompt = prompt_text(request)
        if killed.is_set():
            after_kill.append(prompt)
        elif judging.is_set() or "<answer_1>" in prompt:
            # From the first verdict on, the worker gets no more answers: it is killed here.
            judging.set()
            killed.wait(30)
        else:
            answered.append(prompt)
        return world.answer(request)

    world.gemini.responder = hold_from_the_first_verdict
    first = workers.start()
    assert judging.wait(60), workers.logs()
    # Each answer the worker got is in the cache before it is killed.
    wait_until(
        lambda: len(list(world.services.redis.scan_iter(cached))) >= len(answered),
        15,
        what="the answers made so far in the cache",
    )
    workers.kill_group(first)
    killed.set()
    assert reload(world, comparison).status == RUNNING  # what the dead worker left

    workers.start()
    result = wait_until(
        lambda: next(
            (
                m
                for m in world.thread_messages(comparison.thread_ts)
                if "B better on" in message_text(m)
            ),
            None,
        ),
        60,
        interval=0.1,
        what=f"the comparison's result\n{workers.logs()}",
    )
    assert "B better on *2*, worse on *1*, tied on *0*" in message_text(result)
    # The new worker asked only for what was missing: no answer made before the kill again.
    assert answered and not set(answered) & set(after_kill)
    assert len(set(answered) | {p for p in after_kill if "<answer_1>" not in p}) == 6
    world.wait_text(comparison.thread_ts, "stopped responding")
    finished = reload(world, comparison)
    assert (finished.status, finished.attempts) == (FINISHED, 2)
    assert live_pointers(world.services.redis) == []


def test_a_comparison_whose_worker_lost_its_lease_resumes_without_asking_answers_again(
    start: Callable[..., World],
) -> None:
    world = start(TrainingConfig(cancel_check_seconds=0.0, lease_seconds=LEASE_SECONDS))
    world.verdicts = {"apple": "new", "rope": "old", "cup": "new"}
    comparison = comparing(world, "apple", "rope", "cup")
    lease_key = WORKSPACE.keys.compare_lease(comparison.compare_id)
    lost = threading.Event()

    def lose_the_worker(request: RecordedRequest) -> str:
        # At the first verdict, the worker's lease expires as it would if the worker hung;
        # the answer waits a few heartbeats so the worker notices before judging on.
        if "<answer_1>" in prompt_text(request) and not lost.is_set():
            lost.set()
            world.services.redis.delete(lease_key)
            time.sleep(LEASE_SECONDS)
        return world.answer(request)

    world.gemini.responder = lose_the_worker
    run_burst(world.runtime)
    assert lost.is_set()
    stranded = reload(world, comparison)
    # The worker that lost its lease wrote no ending: the comparison is still running.
    assert (stranded.status, stranded.attempts) == (RUNNING, 1)
    assert not any("done" in text for text in progress_texts(world))
    assert answer_prompts(world)  # answers were made (and cached) before the lease was lost

    reaper = Reaper(world.runtime, watches=JOB_WATCHES)
    assert reaper.reap_once() == [comparison.compare_id]
    assert reload(world, comparison).status == QUEUED
    assert reaper.reap_once() == []  # queued and waiting: nothing more to do
    world.wait_text(comparison.thread_ts, "stopped responding")
    world.run_jobs()

    result = world.wait_text(comparison.thread_ts, "B better on")
    assert "B better on *2*, worse on *1*, tied on *0*" in message_text(result)
    answers = answer_prompts(world)
    assert len(answers) == len(set(answers)) == 6  # nothing asked twice
    finished = reload(world, comparison)
    assert (finished.status, finished.attempts) == (FINISHED, 2)
    assert any(text.startswith("done") for text in progress_texts(world))
    assert live_pointers(world.services.redis) == []


def test_a_comparison_that_keeps_losing_its_worker_is_ended_on_its_progress_message(
    start: Callable[..., World],
) -> None:
    world = start()
    comparison = comparing(world, "apple")
    pretend_worker_died(world, comparison, attempts=world.runtime.config.max_attempts)

    assert Reaper(world.runtime, watches=JOB_WATCHES).reap_once() == [comparison.compare_id]
    ended = reload(world, comparison)
    assert ended.status == FAILED
    assert "started 3 times" in ended.error and "/align compare uses 2 3" in ended.error
    assert any("stopped responding" in text for text in progress_texts(world))
    assert live_pointers(world.services.redis) == []
    assert world.runtime.queue().count == 0
    assert world.gemini.requests == []


def test_a_comparison_a_live_worker_holds_is_left_alone(start: Callable[..., World]) -> None:
    world = start()
    comparison = comparing(world, "apple")
    pretend_worker_died(world, comparison, attempts=1)
    lease = Lease(
        world.services.redis,
        WORKSPACE.keys.compare_lease(comparison.compare_id),
        world.runtime.config.lease_seconds,
    )
    assert lease.acquire()

    assert Reaper(world.runtime, watches=JOB_WATCHES).reap_once() == []
    assert reload(world, comparison).status == RUNNING
    lease.release()
    assert Reaper(world.runtime, watches=JOB_WATCHES).reap_once() == [comparison.compare_id]


def test_align_cancel_stops_a_prompts_comparison_and_says_so(start: Callable[..., World]) -> None:
    world = start()
    comparison = comparing(world, "apple")
    ana = world.person()

    reply = ana.ask("cancel uses")
    assert "asked to stop comparing `uses` version 2 with 3" in reply
    # No worker ran it yet: the reaper ends it on its progress message at once.
    assert Reaper(world.runtime, watches=JOB_WATCHES).reap_once() == [comparison.compare_id]
    assert reload(world, comparison).status == CANCELLED
    assert any("cancelled" in text for text in progress_texts(world))
    world.run_jobs()  # its job, still queued, finds it ended and does nothing
    assert world.gemini.requests == []
    assert live_pointers(world.services.redis) == []

    again = ana.ask("cancel uses")
    assert "`uses` is not training or being compared, so there is nothing to stop" in again
    assert "no labeler or prompt named `nosuch`" in ana.ask("cancel nosuch")


def test_align_cancel_reaches_a_running_comparison_between_model_calls(
    start: Callable[..., World],
) -> None:
    world = start()
    comparison = comparing(world, "apple", "rope")
    ana = world.person()
    replies: list[str] = []
    first = threading.Lock()

    def cancel_during_the_first_answer(request: RecordedRequest) -> str:
        # Every answer waits until the cancel has been said and answered.
        with first:
            if not replies:
                replies.append(ana.ask("cancel uses"))
        return world.answer(request)

    world.gemini.responder = cancel_during_the_first_answer
    run_burst(world.runtime)

    assert "asked to stop comparing `uses` version 2 with 3" in replies[0]

    assert reload(world, comparison).status == CANCELLED
    assert any("cancelled; nothing was changed" in text for text in progress_texts(world))
    results: list[dict[str, Any]] = [
        m for m in world.slack.channel_messages(CHANNEL) if "B better on" in message_text(m)
    ]
    assert results == []
    # Only the calls already in flight when the cancel came finished: no verdict was asked.
    assert all("<answer_1>" not in p for p in world.model_prompts())


def test_a_worker_shutting_down_hands_its_comparison_back_to_the_queue(
    start: Callable[..., World],
) -> None:
    world = start()
    world.verdicts = {"apple": "new", "rope": "old"}
    comparison = comparing(world, "apple", "rope")

    def stop_during_the_first_answer(request: RecordedRequest) -> str:
        world.runtime.stopping.set()
        return world.answer(request)

    world.gemini.responder = stop_during_the_first_answer
    run_burst(world.runtime)
    handed_back = reload(world, comparison)
    assert (handed_back.status, handed_back.attempts) == (QUEUED, 1)
    assert world.runtime.queue().job_ids == [handed_back.job_id] != [comparison.job_id]
    assert not any("cancelled" in text for text in progress_texts(world))

    world.runtime.stopping.clear()
    world.gemini.responder = world.answer
    calls = len(world.gemini.requests)
    world.run_jobs()
    result = world.wait_text(comparison.thread_ts, "B better on")
    assert "B better on *1*, worse on *1*, tied on *0*" in message_text(result)
    assert reload(world, comparison).status == FINISHED
    # The answers made before the hand-back were not asked again.
    assert len(answer_prompts(world)) == len(set(answer_prompts(world))) == 4
    assert len(world.gemini.requests) - calls < 8
