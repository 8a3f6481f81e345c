"""Budgets: how many model calls one person, and one workspace, may start per window.

Every action that makes the bot call a model (a run and its candidates, a reaction's suggested
reasons, a reply read as feedback, a chosen reason, labelling rows) spends from two counters in
Redis before any call is made: the person's and the workspace's. Every bot process and worker
shares them, so no process, and no person, can spend more than their share by spreading
requests around. A refusal says when the person can try again.

The counters are fixed windows that start with the first spend, checked and spent in one Lua
script so two processes can never both take the last call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis
from redis.client import Pipeline

from bot.keys import Workspace

# Returns {0, 0} when spent, or {1 (person) | 2 (workspace), milliseconds until the window ends}.
_SPEND = """
local cost = tonumber(ARGV[1])
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local window = tonumber(ARGV[4])
for i = 1, 2 do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used + cost > limits[i] then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then left = window end
    return {i, left}
  end
end
for i = 1, 2 do
  redis.call('INCRBY', KEYS[i], cost)
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], window) end
end
return {0, 0}
"""


@dataclass(frozen=True)
class BudgetLimits:
    """Model calls per window for each person and for the whole workspace."""

    per_user: int
    per_workspace: int
    window_seconds: int = 3600


class OverBudgetError(Exception):
    """An action would spend more model calls than its person or workspace has left."""

    def __init__(self, whose: str, limit: int, window_seconds: int, retry_after: float) -> None:
        self.whose, self.limit = whose, limit
        self.window_seconds, self.retry_after = window_seconds, retry_after
        super().__init__(self.explain())

    def explain(self) -> str:
        window = _duration(self.window_seconds)
        owner = "You have" if self.whose == "user" else "This workspace has"
        return (
            f"{owner} used the model-call budget ({self.limit} per {window}). "
            f"Try again in {_duration(self.retry_after)}; nothing was done."
        )


class TooCostlyError(OverBudgetError):
    """One action alone costs more than a whole window's budget."""

    def __init__(self, cost: int, limit: int, window_seconds: int) -> None:
        self.cost = cost
        super().__init__("user", limit, window_seconds, 0)

    def explain(self) -> str:
        return (
            f"That would take {self.cost} model calls, more than the {self.limit} one person may "
            f"start per {_duration(self.window_seconds)}. Ask for less at once."
        )


def _duration(seconds: float) -> str:
    """Rounded up to what a person would say: '40 seconds', '12 minutes', '1 hour'."""
    if seconds <= 60:
        return f"{max(1, math.ceil(seconds))} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


class Budgets:
    """Spends model calls from a person's and their workspace's budgets, or refuses."""

    def __init__(self, client: redis.Redis, limits: BudgetLimits) -> None:
        self.limits = limits
        self._spend = client.register_script(_SPEND)

    def spend(self, workspace: Workspace, user: str, calls: int) -> None:
        """Take ``calls`` from both budgets, or raise ``OverBudgetError`` and take nothing."""
        limits = self.limits
        if calls > min(limits.per_user, limits.per_workspace):
            raise TooCostlyError(
                calls, min(limits.per_user, limits.per_workspace), limits.window_seconds
            )
        keys = workspace.keys
        refused, left_ms = self._spend(
            keys=[keys.user_budget(user), keys.workspace_budget()],
            args=[calls, limits.per_user, limits.per_workspace, limits.window_seconds * 1000],
        )
        if refused:
            whose = "user" if int(refused) == 1 else "workspace"
            limit = limits.per_user if whose == "user" else limits.per_workspace
            raise OverBudgetError(whose, limit, limits.window_seconds, int(left_ms) / 1000)


# Counts one request under ``key``: 0 when counted, else milliseconds until its window ends.
# A Lua function, so a script that does more in the same round trip (the prompt API's read)
# counts exactly as ``RequestWindow`` does.
COUNT_REQUEST_LUA = """
local function count_request(key, limit, window)
  local used = tonumber(redis.call('GET', key) or '0')
  if used + 1 > limit then
    local left = redis.call('PTTL', key)
    if left < 0 then left = window end
    return math.max(left, 1)
  end
  redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
  return 0
end
"""
_COUNT = COUNT_REQUEST_LUA + "return count_request(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"


class RequestWindow:
    """At most ``limit`` requests per ``window_seconds`` for each counter key, shared by every
    process through Redis (the prompt API counts each API key's requests here)."""

    def __init__(self, client: redis.Redis, limit: int, window_seconds: int = 60) -> None:
        self.limit, self.window_seconds = limit, window_seconds
        self._count = client.register_script(_COUNT)

    def take(self, key: str) -> float | None:
        """Count one request under ``key``; None when allowed, else seconds to wait."""
        return self.verdict(self._count(keys=[key], args=self._args()))

    def take_in(self, pipe: Pipeline, key: str) -> None:
        """Queue the count in ``pipe``, so it costs no round trip of its own; read the answer
        with ``verdict``."""
        self._count(keys=[key], args=self._args(), client=pipe)

    @staticmethod
    def verdict(answer: object) -> float | None:
        """Seconds to wait from a count's answer (milliseconds left); None when counted."""
        left_ms = int(str(answer))
        return left_ms / 1000 if left_ms > 0 else None

    def _args(self) -> list[int]:
        return [self.limit, self.window_ms]

    @property
    def window_ms(self) -> int:
        return self.window_seconds * 1000
