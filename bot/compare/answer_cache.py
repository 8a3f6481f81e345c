"""The comparison's answer cache in Redis, per workspace, so comparing again pays only for what
changed. Keys are the library's request keys (model, prompt as sent, settings): a version, an
example and model settings in one. Entries expire, since old versions are rarely compared again.
"""

from __future__ import annotations

import redis

from bot.keys import Workspace

CACHE_TTL_SECONDS = 30 * 24 * 3600


class RedisAnswerCache:
    """``alignment.compare.ResponseCache`` over one workspace's keys."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def get(self, key: str) -> str | None:
        value = self.redis.get(self.keys.compare_answer(key))
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        self.redis.set(self.keys.compare_answer(key), value, ex=CACHE_TTL_SECONDS)
