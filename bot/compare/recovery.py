"""Comparisons whose worker died: the reaper's watch over them (``bot.labelers.jobs.reaper``).

A live comparison that nobody holds the lease of, and whose job is not waiting in the queue, is
queued again first in line: the answers and verdicts its worker already had are in the answer
cache, so the new run asks the models only for what was missing. One started
``max_attempts`` times is given up, and one cancelled while no worker ran it is ended; either
way its progress message says so, so no comparison is left "running" for ever.
"""

from __future__ import annotations

import logging

import redis

from bot.compare import views
from bot.compare.job import edit_progress, enqueue_comparison, new_job_id
from bot.compare.state import (
    CANCELLED,
    FAILED,
    LIVE,
    QUEUED,
    RUNNING,
    Comparison,
    ComparisonStore,
    live_pointers,
    parse_pointer,
)
from bot.keys import ACTIVE_COMPARISONS_KEY
from bot.labelers.jobs.reaper import Stuck, stuck_action
from bot.labelers.jobs.runtime import TrainingRuntime

log = logging.getLogger(__name__)


def reap_comparisons(runtime: TrainingRuntime) -> list[str]:
    """Look at every live comparison once; returns the ids of those queued again or ended."""
    acted = []
    for pointer in live_pointers(runtime.redis):
        workspace, compare_id = parse_pointer(pointer)
        store = ComparisonStore(runtime.redis, workspace)
        try:
            if _check(runtime, store, pointer, compare_id):
                acted.append(compare_id)
        except redis.RedisError:
            raise
        except Exception:
            log.exception("could not check comparison %s", compare_id)
    return acted


def _check(runtime: TrainingRuntime, store: ComparisonStore, pointer: str, compare_id: str) -> bool:
    comparison = store.load(compare_id)
    if comparison is None or comparison.status not in LIVE:
        runtime.redis.srem(ACTIVE_COMPARISONS_KEY, pointer)
        return False
    action = stuck_action(
        runtime,
        store.keys.compare_lease(compare_id),
        comparison.status,
        comparison.job_id or None,
        comparison.updated_at,
        lambda: store.cancel_requested(compare_id),
    )
    if action is Stuck.CANCELLED:
        return _end(runtime, store, comparison, CANCELLED, "cancelled; nothing was changed.")
    if action is Stuck.ABANDONED:
        return _resume(runtime, store, comparison)
    return False


def _end(
    runtime: TrainingRuntime, store: ComparisonStore, seen: Comparison, status: str, what: str
) -> bool:
    ended = store.claim_status(
        seen.compare_id,
        seen.status,
        status,
        vacant=store.keys.compare_lease(seen.compare_id),
        error=what,
    )
    if ended is None:
        return False
    edit_progress(runtime.services, ended, views.ended(ended, what))
    return True


def _resume(runtime: TrainingRuntime, store: ComparisonStore, seen: Comparison) -> bool:
    if seen.status == RUNNING and seen.attempts >= runtime.config.max_attempts:
        return _end(
            runtime,
            store,
            seen,
            FAILED,
            f"stopped: it was started {seen.attempts} times and each time the worker running "
            "it stopped responding (it may be running out of memory or being restarted). "
            f"Nothing was changed; compare again with `/align compare {seen.name} {seen.a} "
            f"{seen.b}`.",
        )
    # Re-checked in the transaction: another reaper, or a worker, may have moved it since.
    queued = store.claim_status(
        seen.compare_id,
        seen.status,
        QUEUED,
        vacant=store.keys.compare_lease(seen.compare_id),
        job_id=new_job_id(seen.compare_id),
        updated_at=runtime.clock.now(),
    )
    if queued is None:
        return False
    enqueue_comparison(runtime, queued, at_front=True)
    if seen.status == RUNNING:
        log.info("comparison %s resumes after its worker stopped responding", seen.compare_id)
        try:
            runtime.services.slack_for(queued.workspace).chat_postMessage(
                channel=queued.channel,
                thread_ts=queued.thread_ts,
                **views.resumed(queued).as_kwargs(),
            )
        except Exception:
            log.warning("could not say the comparison resumes", exc_info=True)
    return True
