"""The labeler's cache of model answers, in Redis, so a step resumed elsewhere pays no call twice.

Keys are scoped to one training run (see ``alignment.labeler.ResponseCache``: sampled answers
should not be replayed into a later run) and expire, because they are only worth keeping while a
run might still resume.
"""

from __future__ import annotations

import redis

from bot.keys import Workspace


class RedisResponseCache:
    """The labeler's response cache protocol for one labeler and one scope (a run id)."""

    def __init__(
        self, client: redis.Redis, workspace: Workspace, labeler: str, scope: str, ttl_seconds: int
    ) -> None:
        self.redis = client
        self.keys = workspace.keys
        self.labeler = labeler
        self.scope = scope
        self.ttl_seconds = ttl_seconds

    def _key(self, request_key: str) -> str:
        return self.keys.labeler_cache(self.labeler, self.scope, request_key)

    def get(self, key: str) -> str | None:
        value = self.redis.get(self._key(key))
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        self.redis.set(self._key(key), value, ex=self.ttl_seconds)
