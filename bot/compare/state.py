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

from bot.keys import Workspace

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

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Comparison:
        payload = json.loads(raw)
        return cls(**{k: payload[k] for k in cls.__dataclass_fields__ if k in payload})


class ComparisonStore:
    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def save(self, comparison: Comparison) -> None:
        key = self.keys.compare(comparison.compare_id)
        self.redis.set(key, comparison.to_json(), ex=STATE_TTL_SECONDS)

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

    def claim_status(self, compare_id: str, expected: str, new: str) -> Comparison | None:
        """Move the status from ``expected`` to ``new`` atomically; None when it was not
        ``expected`` (two clicks of "Make current", or a click after a cancel)."""
        key = self.keys.compare(compare_id)
        moved: list[Comparison] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            moved.clear()
            raw = pipe.get(key)
            if raw is None:
                return
            found = Comparison.from_json(str(raw))
            if found.status != expected:
                return
            updated = replace(found, status=new)
            pipe.multi()
            pipe.set(key, updated.to_json(), ex=STATE_TTL_SECONDS)
            moved.append(updated)

        self.redis.transaction(attempt, key)
        return moved[0] if moved else None

    def request_cancel(self, compare_id: str, user: str) -> None:
        self.redis.set(self.keys.compare_cancel(compare_id), user, ex=STATE_TTL_SECONDS)

    def cancel_requested(self, compare_id: str) -> bool:
        return bool(self.redis.exists(self.keys.compare_cancel(compare_id)))
