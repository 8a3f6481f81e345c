"""The audit log: who changed what, and when, for every change to a workspace's prompts.

Entries are JSON in one append-only Redis list per workspace. Writers that change a prompt push
their entry in the same MULTI as the change, so the log never claims a change that did not land
and never misses one that did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from bot.keys import Workspace
from bot.prompts.runs import now_iso


@dataclass(frozen=True)
class AuditEntry:
    at: str
    user: str
    action: str
    prompt: str
    detail: str


def audit_entry(user: str, action: str, prompt: str, detail: str, at: str | None = None) -> str:
    """One entry as the JSON the log stores."""
    entry = {"at": at or now_iso(), "user": user, "action": action, "prompt": prompt}
    return json.dumps({**entry, "detail": detail}, ensure_ascii=False)


class AuditLog:
    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.key = workspace.keys.audit()

    def record(self, user: str, action: str, prompt: str, detail: str) -> None:
        self.redis.rpush(self.key, audit_entry(user, action, prompt, detail))

    def entries(self, prompt: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The newest ``limit`` entries, oldest first; only ``prompt``'s when given."""
        raw_entries = self.redis.lrange(self.key, -limit, -1)
        entries = [AuditEntry(**json.loads(str(raw))) for raw in raw_entries]
        return [e for e in entries if prompt is None or e.prompt == prompt]
