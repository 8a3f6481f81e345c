"""Getting stuck trainings moving again: the reaper every worker (and ``serve``) runs.

A run is stuck when nobody holds its lease and no job for it waits in the queue: its worker
died mid-step (the lease expired), or died between saving the run's state and queueing the next
step. The reaper queues the run's next step again, first in line; that step starts from the last
saved checkpoint. A step that has already been started ``max_attempts`` times is given up, and
the thread says why. Runs that were cancelled while no worker was running are ended here too.
Reapers on many machines may race: every decision is re-checked inside a transaction.

Other leased jobs (comparisons) are looked after by the same reaper: :func:`stuck_action` is
the one rule for when a job is stuck, and each kind hands the reaper a :data:`Watch` that
applies it to its own jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import Enum

import redis

from bot.labelers.jobs.cancel import cancel_requested, cancelled_by
from bot.labelers.jobs.outcomes import end_run, kept_version_text, post_in_thread, show_final_state
from bot.labelers.jobs.queueing import enqueue_step, job_is_waiting, new_job_id
from bot.labelers.jobs.repeating import RepeatingTask
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.run_state import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    RunStore,
    StaleRunError,
    TrainingRun,
    iter_active_runs,
)

log = logging.getLogger(__name__)

# Another kind of leased job looked after by the reaper: it checks its live jobs once and
# returns the ids of those it queued again or ended.
Watch = Callable[[TrainingRuntime], list[str]]


class Stuck(Enum):
    CANCELLED = "cancelled"  # cancelled while no worker ran it: end it
    ABANDONED = "abandoned"  # its worker died (or its job never reached the queue): resume it


def stuck_action(
    runtime: TrainingRuntime,
    lease_key: str,
    status: str,
    job_id: str | None,
    updated_at: float,
    cancelled: Callable[[], bool],
) -> Stuck | None:
    """What the reaper should do with a live (queued or running) leased job; None: leave it."""
    if runtime.redis.exists(lease_key):
        return None  # a live worker is on it
    if status == QUEUED:
        if job_is_waiting(runtime, job_id):
            return Stuck.CANCELLED if cancelled() else None
        if runtime.clock.now() - updated_at < runtime.config.lease_seconds:
            return None  # just handed over; its job is on the way to the queue
    return Stuck.CANCELLED if cancelled() else Stuck.ABANDONED


class Reaper:
    def __init__(self, runtime: TrainingRuntime, watches: Sequence[Watch] = ()) -> None:
        self.runtime = runtime
        self.watches = tuple(watches)

    def reap_once(self) -> list[str]:
        """Look at every live run (and job of the other watched kinds) once; returns the ids of
        those it queued again or ended."""
        acted = []
        for pointer, store, run_id in iter_active_runs(self.runtime.redis):
            try:
                if self._check(pointer, store, run_id):
                    acted.append(run_id)
            except redis.RedisError:
                raise
            except Exception:
                log.exception("could not check training run %s", run_id)
        for watch in self.watches:
            try:
                acted.extend(watch(self.runtime))
            except redis.RedisError:
                raise
            except Exception:
                log.exception("a job watch of the reaper failed")
        return acted

    def _check(self, pointer: str, store: RunStore, run_id: str) -> bool:
        run = store.load(run_id)
        if run is None or run.is_final:
            store.forget_pointer(pointer)
            return False
        action = stuck_action(
            self.runtime,
            store.keys.training_lease(run_id),
            run.status,
            run.job_id,
            run.updated_at,
            lambda: cancel_requested(self.runtime.redis, store.workspace, run_id),
        )
        if action is Stuck.CANCELLED:
            return self._end_cancelled(store, run)
        if action is Stuck.ABANDONED:
            return self._resume(store, run)
        return False

    def _end_cancelled(self, store: RunStore, run: TrainingRun) -> bool:
        who = cancelled_by(self.runtime.redis, store.workspace, run.run_id)
        by = f" by <@{who}>" if who else ""
        return (
            end_run(self.runtime, run.run_id, store, CANCELLED, f"Training cancelled{by}.")
            is not None
        )

    def _resume(self, store: RunStore, seen: TrainingRun) -> bool:
        lease_key = store.keys.training_lease(seen.run_id)
        job_id = new_job_id(seen.run_id, seen.next_step)
        max_attempts = self.runtime.config.max_attempts

        def change(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            if pipe.exists(lease_key) or run.status != seen.status or run.job_id != seen.job_id:
                raise StaleRunError("the run moved on while it was being checked")
            run.updated_at = self.runtime.clock.now()
            if run.status == RUNNING and run.attempts >= max_attempts:
                run.status, run.finished_at = FAILED, run.updated_at
                run.error = (
                    f"Training stopped: step {run.next_step} was started {run.attempts} times and "
                    "each time the worker running it stopped responding (it may be running out "
                    "of memory or being restarted)."
                )
            else:
                run.status, run.job_id = QUEUED, job_id

        try:
            run = store.update(seen.run_id, change, watch=(lease_key,))
        except StaleRunError:
            return False
        if run.status == FAILED:
            post_in_thread(self.runtime, run, f":x: {run.error} {kept_version_text(run)}")
            show_final_state(self.runtime, run)
            return True
        enqueue_step(self.runtime, run, at_front=True)
        if seen.status == RUNNING:
            start = (
                f"from the checkpoint of step {run.steps_done}"
                if run.steps_done
                else "from the start"
            )
            post_in_thread(
                self.runtime,
                run,
                f":recycle: The worker running step {run.next_step} stopped responding; the step "
                f"was queued again and resumes {start}.",
            )
        return True


class ReaperThread(RepeatingTask):
    """Runs ``reap_once`` every ``interval`` seconds in a daemon thread until stopped."""

    def __init__(
        self,
        runtime: TrainingRuntime,
        interval: float | None = None,
        watches: Sequence[Watch] = (),
    ) -> None:
        self.reaper = Reaper(runtime, watches)
        super().__init__(
            self.reaper.reap_once,
            interval or runtime.config.reap_interval_seconds,
            thread_name="job-reaper",
            logger=log,
            failure_message="the job reaper failed; it tries again shortly",
        )
