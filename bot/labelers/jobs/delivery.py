"""Post each of a run's messages at most once, even when the step that posts them runs again.

A step whose worker dies after posting the report but before marking the run finished is queued
again, and runs the same closing code. Each message therefore has a kind (``report:1``,
``plot``, ``notice:end``...) and, once Slack has accepted it, its ts is recorded under the run.
A later attempt finds the ts and edits that message to its new content instead of posting a
second one; a file upload, which cannot be edited, is simply not repeated.

That leaves the moment between Slack accepting a message and its ts being recorded: the worker
can die there, or the answer can be lost on the way back (a timeout after Slack took it). For
messages (report parts, notices) that moment is covered too. Before posting, an attempt records
that it started; the message carries Slack metadata naming its run and kind. An attempt that
finds a started attempt but no ts looks for that message in Slack (the thread's replies, or the
channel's recent history) and, when it is there, records its ts and treats it as posted. Should
the look-up itself fail, the message is posted anyway: a rare duplicate is better than a report
that silently never arrives.

The accuracy plot is not covered: a file upload carries no metadata to find it by, so a worker
that dies between the upload and recording the file id leaves the next attempt to upload again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from bot.keys import Workspace

# Attempts of one run come within minutes of each other; the record only needs to outlive them.
POSTED_TTL_SECONDS = 7 * 24 * 3600

# The Slack metadata event type of the messages a training run posts.
MESSAGE_EVENT_TYPE = "alignbot_training_message"

_ATTEMPT_PREFIX = "attempt:"


def message_metadata(run_id: str, kind: str) -> dict[str, Any]:
    """Slack message metadata by which a later attempt recognises the message of ``kind``."""
    return {"event_type": MESSAGE_EVENT_TYPE, "event_payload": {"run": run_id, "kind": kind}}


def find_marked(messages: Iterable[Mapping[str, Any]], run_id: str, kind: str) -> str | None:
    """The ts of the first of ``messages`` whose metadata names ``run_id`` and ``kind``."""
    for message in messages:
        metadata = message.get("metadata")
        if not isinstance(metadata, Mapping) or metadata.get("event_type") != MESSAGE_EVENT_TYPE:
            continue
        payload = metadata.get("event_payload")
        if not isinstance(payload, Mapping) or not message.get("ts"):
            continue
        if payload.get("run") == run_id and payload.get("kind") == kind:
            return str(message["ts"])
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class RunDeliveries:
    """The messages one training run has already posted, by kind."""

    def __init__(self, client: redis.Redis, workspace: Workspace, run_id: str) -> None:
        self.redis = client
        self.run_id = run_id
        self.key = workspace.keys.training_posted(run_id)

    def posted(self, kind: str) -> str | None:
        """The ts (or file id) of the message of ``kind`` already posted, if any."""
        return _text(self.redis.hget(self.key, kind))

    def attempt_started(self, kind: str) -> float | None:
        """When the first attempt to post the message of ``kind`` began, if one did."""
        value = _text(self.redis.hget(self.key, _ATTEMPT_PREFIX + kind))
        return float(value) if value is not None else None

    def deliver(
        self,
        kind: str,
        post: Callable[[], str | None],
        edit: Callable[[str], None] | None = None,
        find: Callable[[float], str | None] | None = None,
        now: float | None = None,
    ) -> str | None:
        """Post the message of ``kind`` unless it was posted before; then ``edit`` it instead
        (when given). ``post`` returns the new message's ts, or None when nothing was posted.

        With ``find`` (and ``now``, the time of this attempt), the start of the attempt is
        recorded before posting; a later attempt that finds that record but no ts calls
        ``find`` with the recorded time to look for the message in Slack, and uses the ts it
        returns (None: not there, or the look-up failed) rather than posting again."""
        earlier = self.posted(kind)
        if earlier is None and find is not None:
            started = self.attempt_started(kind)
            # No record means no attempt could have reached Slack: no look-up is needed.
            if started is not None:
                earlier = find(started)
                if earlier is not None:
                    self._record(kind, earlier)
        if earlier is not None:
            if edit is not None:
                edit(earlier)
            return earlier
        if find is not None:
            if now is None:
                raise ValueError("deliver needs the attempt's time to record it")
            self._record_attempt(kind, now)
        posted = post()
        if posted is not None:
            self._record(kind, posted)
        return posted

    def _record(self, kind: str, ts: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self.key, kind, ts)
        pipe.expire(self.key, POSTED_TTL_SECONDS)
        pipe.execute()

    def _record_attempt(self, kind: str, now: float) -> None:
        # The first attempt's time is kept: a look-up from there sees every later attempt too.
        pipe = self.redis.pipeline()
        pipe.hsetnx(self.key, _ATTEMPT_PREFIX + kind, repr(now))
        pipe.expire(self.key, POSTED_TTL_SECONDS)
        pipe.execute()
