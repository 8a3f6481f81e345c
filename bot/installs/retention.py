"""What an uninstall leaves behind: a workspace's data, kept for the grace period and then
removed by a sweep.

An uninstall (``app_uninstalled``, or a revoked bot token) records the workspace, or the whole
org for an org-wide install, with the time; a reinstall removes the record, so a workspace that
comes back within the grace period finds its prompts and labelers as it left them. The sweep
runs in every ``alignbot serve`` process (see :class:`Sweeper`); sweeps running at once in
several processes delete the same keys, which is harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis

from bot.installs.owner import Owner
from bot.keys import ACTIVE_TRAININGS_KEY, UNINSTALLED_KEY, namespace_of
from bot.labelers.jobs.cancel import CANCEL_FLAG_TTL_SECONDS
from bot.labelers.jobs.repeating import RepeatingTask
from bot.labelers.run_state import active_pointers, parse_pointer

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 24 * 3600
# Often enough that data goes within the hour after its grace period ends.
SWEEP_INTERVAL_SECONDS = 3600.0
# Keys are deleted this many at a time, so one sweep never blocks Redis for long.
DELETE_BATCH = 500
GLOB_SPECIAL = "*?[]\\"


class Retention:
    """Uninstalled workspaces and the removal of their data after ``grace_seconds``."""

    def __init__(self, client: redis.Redis, grace_seconds: float) -> None:
        self.redis = client
        self.grace_seconds = grace_seconds

    def mark_uninstalled(self, owner: Owner, now: float) -> None:
        # NX: the first of app_uninstalled and tokens_revoked starts the grace period.
        self.redis.zadd(UNINSTALLED_KEY, {owner.marker(): now}, nx=True)
        self._cancel_trainings(owner)

    def uninstalled_at(self, owner: Owner) -> float | None:
        score = self.redis.zscore(UNINSTALLED_KEY, owner.marker())
        return float(score) if score is not None else None

    def due(self, now: float) -> list[Owner]:
        markers = self.redis.zrangebyscore(UNINSTALLED_KEY, "-inf", now - self.grace_seconds)
        return [Owner.from_marker(str(marker)) for marker in markers]

    def sweep(self, now: float) -> int:
        """Remove the data of every owner whose grace period has ended; keys removed."""
        removed = 0
        for owner in self.due(now):
            # Read again just before deleting: a reinstall since `due` keeps the data.
            at = self.uninstalled_at(owner)
            if at is None or at > now - self.grace_seconds:
                continue
            removed += self._remove_data(owner)
            self.redis.zrem(UNINSTALLED_KEY, owner.marker())
            log.info("removed the data of an uninstalled workspace (%s)", owner)
        return removed

    def _remove_data(self, owner: Owner) -> int:
        pattern = _glob_escape(namespace_of(owner.enterprise_id, owner.team_id)) + ":*"
        removed = 0
        batch: list[str] = []
        for key in self.redis.scan_iter(match=pattern, count=DELETE_BATCH):
            batch.append(str(key))
            if len(batch) >= DELETE_BATCH:
                removed += int(self.redis.unlink(*batch))
                batch.clear()
        if batch:
            removed += int(self.redis.unlink(*batch))
        for pointer in active_pointers(self.redis):
            workspace, _ = parse_pointer(pointer)
            if owner.owns(workspace.team_id, workspace.enterprise_id):
                self.redis.srem(ACTIVE_TRAININGS_KEY, pointer)
        return removed

    def _cancel_trainings(self, owner: Owner) -> None:
        """Stop the owner's trainings: nobody can see them, and they would go on spending."""
        for pointer in active_pointers(self.redis):
            workspace, run_id = parse_pointer(pointer)
            if owner.owns(workspace.team_id, workspace.enterprise_id):
                key = workspace.keys.training_cancel(run_id)
                self.redis.set(key, "", ex=CANCEL_FLAG_TTL_SECONDS)


def _glob_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in GLOB_SPECIAL else char for char in text)


class Sweeper:
    """The sweep on a timer, in a thread of ``alignbot serve``: once at start, then hourly."""

    def __init__(
        self,
        retention: Retention,
        interval: float = SWEEP_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.retention = retention
        self.clock = clock
        self._task = RepeatingTask(
            self.run_once,
            interval,
            thread_name="uninstall-sweep",
            logger=log,
            failure_message="removing the data of uninstalled workspaces failed; trying again",
            failure_level=logging.WARNING,
        )

    def run_once(self) -> int:
        return self.retention.sweep(self.clock())

    def start(self) -> Sweeper:
        try:
            self.run_once()
        except redis.RedisError:
            log.warning("could not sweep uninstalled workspaces at start", exc_info=True)
        self._task.start()
        return self

    def stop(self) -> None:
        self._task.stop()
