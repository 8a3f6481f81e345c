"""The RQ job functions. Arguments are plain JSON (ids and a step number), so RQ's JSON
serializer carries them and any worker can run them; see ``step_job`` for what a step does."""

from __future__ import annotations

import logging

from rq import get_current_job

from bot.keys import Workspace
from bot.labelers.jobs.runtime import current_runtime
from bot.labelers.jobs.step_job import StepJob
from bot.observability.context import log_fields
from bot.observability.metrics import outcome_label

log = logging.getLogger(__name__)

# The kind label of training steps in the job metrics.
TRAINING_STEP_JOB = "training_step"


def run_step(team_id: str, enterprise_id: str | None, labeler: str, run_id: str, step: int) -> str:
    """Run step ``step`` of training run ``run_id`` of ``labeler``; returns what happened.

    ``labeler`` is not needed to find the run (its state names it) but makes queued jobs
    readable to an operator looking at the queue.
    """
    job = get_current_job()
    workspace = Workspace(team_id, enterprise_id)
    runtime = current_runtime()
    job_id = job.id if job else None
    with (
        log_fields(team=team_id, enterprise=enterprise_id, prompt=labeler, run=run_id, job=job_id),
        runtime.services.metrics.timed_job(TRAINING_STEP_JOB) as outcome,
    ):
        result = StepJob(runtime, workspace, run_id, step, job_id).run()
        log.info("training %s, step %s: %s", labeler, step, result)
        outcome.value = outcome_label(result)
        return result
