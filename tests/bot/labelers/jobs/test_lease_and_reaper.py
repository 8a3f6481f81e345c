"""Leases and the reaper: a step whose worker stopped renewing its lease is queued again from
the last saved checkpoint; live steps and waiting jobs are left alone; retries are bounded."""

from __future__ import annotations

import pytest
import redis

from bot.labelers.jobs.lease import Lease, LeaseLostError
from bot.labelers.jobs.reaper import Reaper
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import TrainingHandle, start_training
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FAILED, FINISHED, QUEUED, RUNNING, RunStore, TrainingRun
from tests.bot.labelers.jobs.support import (
    WORKSPACE,
    FakeClock,
    World,
    all_text,
    thread_messages,
    training_request,
)
from tests.fakes.slack_emulator import SlackEmulator


def test_a_lease_is_held_by_one_owner_and_renewed_only_by_it(redis_client: redis.Redis) -> None:
    mine = Lease(redis_client, "lease:test", ttl_seconds=5)
    theirs = Lease(redis_client, "lease:test", ttl_seconds=5)
    assert mine.acquire() and not theirs.acquire()
    assert mine.renew() and not theirs.renew()
    assert theirs.lost and not mine.lost
    theirs.release()  # not the owner: nothing happens
    assert redis_client.get("lease:test") == mine.owner
    mine.release()
    assert theirs.acquire()


def test_a_lease_that_expired_is_noticed_by_its_holder(redis_client: redis.Redis) -> None:
    lease = Lease(redis_client, "lease:test", ttl_seconds=5)
    assert lease.acquire()
    redis_client.delete("lease:test")  # what expiry does after a stalled heartbeat
    assert not lease.renew() and lease.lost

    def write(pipe: redis.client.Pipeline) -> None:
        lease.check(pipe)
        pipe.multi()
        pipe.set("written", "1")

    with pytest.raises(LeaseLostError):
        redis_client.transaction(write, "lease:test")
    assert redis_client.get("written") is None


def _pretend_worker_died(runtime: TrainingRuntime, handle: TrainingHandle, attempts: int) -> None:
    """The state a worker leaves when it dies mid-step: running, no lease, its job consumed."""
    runtime.queue().empty()

    def died(run: TrainingRun, pipe: object) -> None:
        run.status, run.attempts = RUNNING, attempts

    RunStore(runtime.redis, WORKSPACE).update(handle.run_id, died)


def test_a_step_without_a_lease_is_queued_again_and_the_training_finishes(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=2))
    _pretend_worker_died(runtime, handle, attempts=1)

    assert Reaper(runtime).reap_once() == [handle.run_id]
    runs = RunStore(runtime.redis, WORKSPACE)
    run = runs.load(handle.run_id)
    assert run is not None and run.status == QUEUED and run.job_id != handle.job_id
    assert runtime.queue().job_ids == [run.job_id]
    notes = [all_text(m) for m in thread_messages(slack, handle.thread_ts)]
    assert any("stopped responding" in note and "from the start" in note for note in notes)
    assert Reaper(runtime).reap_once() == []  # queued and waiting: nothing more to do

    run_burst(runtime)
    finished = runs.load(handle.run_id)
    assert finished is not None and finished.status == FINISHED and finished.steps_done == 2


def test_a_step_that_keeps_killing_its_worker_is_given_up(
    runtime: TrainingRuntime, world: World, slack: SlackEmulator
) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    _pretend_worker_died(runtime, handle, attempts=runtime.config.max_attempts)

    Reaper(runtime).reap_once()
    runs = RunStore(runtime.redis, WORKSPACE)
    run = runs.load(handle.run_id)
    assert run is not None and run.status == FAILED
    assert any(
        "step 1 was started 3 times" in all_text(m)
        for m in thread_messages(slack, handle.thread_ts)
    )
    assert runs.running_run_id("hate") is None
    assert "stopped during step 1 of 3" in all_text(slack.calls_to("chat.update")[-1].params)


def test_live_steps_are_left_alone(runtime: TrainingRuntime, world: World) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    _pretend_worker_died(runtime, handle, attempts=1)
    lease = Lease(runtime.redis, WORKSPACE.keys.training_lease(handle.run_id), 30)
    assert lease.acquire()

    assert Reaper(runtime).reap_once() == []
    run = RunStore(runtime.redis, WORKSPACE).load(handle.run_id)
    assert run is not None and run.status == RUNNING


def test_a_handed_over_step_whose_job_never_reached_the_queue_is_queued_again(
    runtime: TrainingRuntime, world: World, clock: FakeClock
) -> None:
    handle = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    runtime.queue().empty()  # the process died between saving the state and queueing

    assert Reaper(runtime).reap_once() == []  # give the job its moment to arrive
    clock.advance(runtime.config.lease_seconds)
    assert Reaper(runtime).reap_once() == [handle.run_id]
    assert len(runtime.queue().job_ids) == 1


def test_ended_runs_leave_the_active_set(runtime: TrainingRuntime, world: World) -> None:
    start_training(runtime.services, WORKSPACE, training_request(world.frame, steps=1))
    assert runtime.redis.scard("alignbot:trainings:active") == 1
    run_burst(runtime)
    assert runtime.redis.scard("alignbot:trainings:active") == 0
