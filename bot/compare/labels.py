"""INTEGRATION POINT with version labels (``bot.prompts.labels``, built in parallel).

Until labels exist in this code base, "production" is simply the current version: the default A
of a comparison is the current version, and "Make current" moves nothing else. When
``bot.prompts.labels.LabelStore`` lands, these two functions are the only places to wire:
``production_version`` returns ``LabelStore(...).version_of(name, "production")``, and
``move_production`` calls ``LabelStore(...).move(name, "production", version, user,
expected=...)`` when the compared A carried the label.
"""

from __future__ import annotations

import redis

from bot.keys import Workspace

PRODUCTION = "production"


def production_version(client: redis.Redis, workspace: Workspace, name: str) -> int | None:
    """The version labelled production, or None when no version carries the label."""
    return None


def move_production(
    client: redis.Redis, workspace: Workspace, name: str, version: int, expected: int, user: str
) -> bool:
    """Move the production label from ``expected`` to ``version``; False when nothing moved."""
    return False
