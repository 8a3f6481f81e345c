"""Post each of a run's messages at most once, even when the step that posts them runs again.

A step whose worker dies after posting the report but before marking the run finished is queued
again, and runs the same closing code. Each message therefore has a kind (``report:1``,
``plot``, ``notice:end``...) and, once Slack has accepted it, its ts is recorded under the run.
A later attempt finds the ts and edits that message to its new content instead of posting a
second one; a file upload, which cannot be edited, is simply not repeated.

One window remains: Slack accepts a message and the worker dies before its ts is recorded (one
HTTP round trip). The next attempt cannot tell that apart from a post that never happened, and
posts again: a rare duplicate is better than a report that silently never arrives.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from bot.keys import Workspace

# Attempts of one run come within minutes of each other; the record only needs to outlive them.
POSTED_TTL_SECONDS = 7 * 24 * 3600


class RunDeliveries:
    """The messages one training run has already posted, by kind."""

    def __init__(self, client: redis.Redis, workspace: Workspace, run_id: str) -> None:
        self.redis = client
        self.key = workspace.keys.training_posted(run_id)

    def posted(self, kind: str) -> str | None:
        """The ts (or file id) of the message of ``kind`` already posted, if any."""
        value = self.redis.hget(self.key, kind)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def deliver(
        self,
        kind: str,
        post: Callable[[], str | None],
        edit: Callable[[str], None] | None = None,
    ) -> str | None:
        """Post the message of ``kind`` unless it was posted before; then ``edit`` it instead
        (when given). ``post`` returns the new message's ts, or None when nothing was posted."""
        earlier = self.posted(kind)
        if earlier is not None:
            if edit is not None:
                edit(earlier)
            return earlier
        posted = post()
        if posted is not None:
            pipe = self.redis.pipeline()
            pipe.hset(self.key, kind, posted)
            pipe.expire(self.key, POSTED_TTL_SECONDS)
            pipe.execute()
        return posted
