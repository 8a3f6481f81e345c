"""One comparison's state in Redis: what is compared, where it is shown, how it ended.

The job reads everything it needs from here (the RQ job carries ids only), and the "Make
current" and "Cancel" buttons carry only the comparison's id: whatever they act on is read back
from this record, never from the button.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import redis

from bot.keys import ACTIVE_COMPARISONS_KEY, Workspace
from bot.labelers.jobs.lease import Lease

# A result can be acted on ("Make current") for a month; the record is small.
STATE_TTL_SECONDS = 30 * 24 * 3600

QUEUED, RUNNING, FINISHED, FAILED, CANCELLED = (
    "queued",
    "running",
    "finished",
    "failed",
    "cancelled",
)
MADE_CURRENT = "made current"
LIVE = (QUEUED, RUNNING)


def new_compare_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Comparison:
    compare_id: str
    team_id: str
    enterprise_id: str | None
    name: str
    prompt_id: str | None
    a: int
    b: int
    # The version that was current when the comparison started: "Make current" goes ahead
    # only while it still is, so no change made since is silently dropped.
    current_at_start: int
    # B was made for this comparison by `apply --compare` and is not current yet.
    pending: bool
    user: str
    channel: str
    thread_ts: str
    message_ts: str = ""
    status: str = QUEUED
    examples: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    # Whether A carried the production label when the comparison started.
    a_was_production: bool = False
    # The RQ job meant to run it (a new one each time the reaper queues it again), how often a
    # worker started it, and when its status last moved: what the reaper decides on.
    job_id: str = ""
    attempts: int = 0
    updated_at: float = 0.0

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Comparison:
        payload = json.loads(raw)
        return cls(**{k: payload[k] for k in cls.__dataclass_fields__ if k in payload})

    @property
    def pointer(self) -> str:
        """Its entry in the set of live comparisons the reaper walks."""
        return json.dumps(
            {"team": self.team_id, "enterprise": self.enterprise_id, "compare": self.compare_id}
        )


def parse_pointer(pointer: str) -> tuple[Workspace, str]:
    data = json.loads(pointer)
    return Workspace(str(data["team"]), data.get("enterprise") or None), str(data["compare"])


def live_pointers(client: redis.Redis) -> list[str]:
    return sorted(str(item) for item in client.smembers(ACTIVE_COMPARISONS_KEY))


def _write(pipe: redis.client.Pipeline, key: str, comparison: Comparison) -> None:
    """Save, and keep the set of live comparisons in step with the status."""
    pipe.set(key, comparison.to_json(), ex=STATE_TTL_SECONDS)
    if comparison.status in LIVE:
        pipe.sadd(ACTIVE_COMPARISONS_KEY, comparison.pointer)
    else:
        pipe.srem(ACTIVE_COMPARISONS_KEY, comparison.pointer)


class ComparisonStore:
    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.workspace = workspace
        self.keys = workspace.keys

    def save(self, comparison: Comparison) -> None:
        pipe = self.redis.pipeline()
        _write(pipe, self.keys.compare(comparison.compare_id), comparison)
        pipe.execute()

    def load(self, compare_id: str) -> Comparison | None:
        raw = self.redis.get(self.keys.compare(compare_id))
        return Comparison.from_json(str(raw)) if raw is not None else None

    def update(self, compare_id: str, **changes: Any) -> Comparison | None:
        found = self.load(compare_id)
        if found is None:
            return None
        updated = replace(found, **changes)
        self.save(updated)
        return updated

    def claim_status(
        self,
        compare_id: str,
        expected: str,
        new: str,
        lease: Lease | None = None,
        vacant: str | None = None,
        **changes: Any,
    ) -> Comparison | None:
        """Move the status from ``expected`` to ``new`` (with ``changes``) atomically; None when
        it was not ``expected`` (two clicks of "Make current", or a click after a cancel).
        With ``lease``, only while that lease is held (LeaseLostError otherwise): a worker that
        lost its comparison to another must not end it."""
        key = self.keys.compare(compare_id)
        moved: list[Comparison] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            moved.clear()
            if lease is not None:
                lease.check(pipe)
            if vacant is not None and pipe.exists(vacant):
                return
            raw = pipe.get(key)
            if raw is None:
                return
            found = Comparison.from_json(str(raw))
            if found.status != expected:
                return
            updated = replace(found, status=new, **changes)
            pipe.multi()
            _write(pipe, key, updated)
            moved.append(updated)

        watched = [key, *(k for k in (lease.key if lease else None, vacant) if k)]
        self.redis.transaction(attempt, *watched)
        return moved[0] if moved else None

    def live_of(self, name: str) -> list[Comparison]:
        """This workspace's queued or running comparisons of prompt ``name``."""
        found = []
        for pointer in live_pointers(self.redis):
            workspace, compare_id = parse_pointer(pointer)
            if workspace != self.workspace:
                continue
            comparison = self.load(compare_id)
            if comparison is not None and comparison.name == name and comparison.status in LIVE:
                found.append(comparison)
        return found

    def request_cancel(self, compare_id: str, user: str) -> None:
        self.redis.set(self.keys.compare_cancel(compare_id), user, ex=STATE_TTL_SECONDS)

    def cancel_requested(self, compare_id: str) -> bool:
        return bool(self.redis.exists(self.keys.compare_cancel(compare_id)))
