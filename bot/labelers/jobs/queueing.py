"""Putting a training step on the RQ queue: plain JSON arguments, a fresh job id each time.

A step's job carries only ids (team, enterprise, labeler, run, step): everything else is read
from Redis when the job runs, so any worker can run it and nothing needs pickling.
"""

from __future__ import annotations

import uuid
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.run_state import TrainingRun

STEP_JOB_FUNCTION = "bot.labelers.jobs.functions.run_step"
# Finished jobs say only "done"/"skipped"; failures keep their traceback for a week.
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600


def new_job_id(run_id: str, step: int) -> str:
    """Unique per enqueue, and readable in ``rq info``: run, step, then a random part."""
    return f"train-{run_id}-step{step}-{uuid.uuid4().hex[:8]}"


def step_job_arguments(run: TrainingRun) -> dict[str, Any]:
    return {
        "team_id": run.team_id,
        "enterprise_id": run.enterprise_id,
        "labeler": run.labeler,
        "run_id": run.run_id,
        "step": run.next_step,
    }


def _description(run: TrainingRun) -> str:
    if run.next_step > run.steps_total:
        return f"train labeler {run.labeler}: report on {run.steps_total} steps"
    return f"train labeler {run.labeler}: step {run.next_step} of {run.steps_total}"


def enqueue_step(runtime: TrainingRuntime, run: TrainingRun, at_front: bool = False) -> Job:
    """Queue the run's next step under ``run.job_id`` (already saved in the run's state)."""
    if run.job_id is None:
        raise ValueError("save the job id in the run's state before queueing its step")
    return runtime.queue().enqueue_call(
        STEP_JOB_FUNCTION,
        kwargs=step_job_arguments(run),
        job_id=run.job_id,
        timeout=runtime.config.step_timeout_seconds,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        at_front=at_front,
        description=_description(run),
    )


def job_is_waiting(runtime: TrainingRuntime, job_id: str | None) -> bool:
    """True while the job sits in the queue (or is deferred/scheduled) and nobody has taken it."""
    if job_id is None:
        return False
    try:
        job = Job.fetch(job_id, connection=runtime.rq_redis, serializer=runtime.queue().serializer)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    return str(getattr(status, "value", status)) in ("queued", "deferred", "scheduled")
