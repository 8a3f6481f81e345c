"""Stopping a training: the cancel flag people set, and the check the labeler makes between calls.

``/align cancel NAME`` sets a flag in Redis. The running step's labeler asks :class:`StopCheck`
before every model call, so at most the calls already in flight finish after the flag is seen,
and the step ends well within Slack users' patience (seconds). The same check also stops a step
whose worker lost its lease or is shutting down; ``reason`` tells the job which it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

from bot.keys import Workspace
from bot.labelers.jobs.lease import Lease

# A flag outliving its run is harmless; this only keeps Redis tidy if a run vanishes.
CANCEL_FLAG_TTL_SECONDS = 7 * 24 * 3600

CANCELLED = "cancelled"
LEASE_LOST = "lease lost"
SHUTTING_DOWN = "shutting down"


def request_cancel(
    client: redis.Redis, workspace: Workspace, labeler: str, user: str | None = None
) -> str | None:
    """Ask the labeler's running training to stop; returns its run id, or None if none runs.

    ``user`` (a Slack user id) is named in the thread as who cancelled.
    """
    keys = workspace.keys
    run_id = client.get(keys.labeler_training(labeler))
    if run_id is None:
        return None
    client.set(keys.training_cancel(str(run_id)), user or "", ex=CANCEL_FLAG_TTL_SECONDS)
    return str(run_id)


def cancel_requested(client: redis.Redis, workspace: Workspace, run_id: str) -> bool:
    return bool(client.exists(workspace.keys.training_cancel(run_id)))


def cancelled_by(client: redis.Redis, workspace: Workspace, run_id: str) -> str | None:
    """The Slack user id that cancelled the run, when one was given."""
    value = client.get(workspace.keys.training_cancel(run_id))
    return str(value) if value else None


class StopCheck:
    """A leased job's ``should_stop`` (a training step, a comparison); thread-safe, and sticky
    once it says stop. ``cancelled`` reads the job's own cancel flag."""

    def __init__(
        self,
        cancelled: Callable[[], bool],
        lease: Lease,
        stopping: threading.Event,
        min_interval_seconds: float,
    ) -> None:
        self.cancelled = cancelled
        self.lease = lease
        self.stopping = stopping
        self.min_interval = min_interval_seconds
        self.reason: str | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            if self.reason is None:
                self.reason = self._find_reason()
            return self.reason is not None

    def _find_reason(self) -> str | None:
        if self.lease.lost:
            return LEASE_LOST
        if self.stopping.is_set():
            return SHUTTING_DOWN
        # Many calls start at once; one Redis read per interval answers them all.
        now = time.monotonic()
        if now - self._checked_at < self.min_interval:
            return None
        self._checked_at = now
        if self.cancelled():
            return CANCELLED
        return None
