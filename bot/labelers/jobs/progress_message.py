"""Posting the progress message and editing it in place, no more often than the throttle allows.

The time of the last edit is kept in Redis, so the interval holds across the steps of a run even
when each runs on a different worker.
"""

from __future__ import annotations

import logging
import threading

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.keys import Workspace
from bot.labelers.clock import Clock
from bot.labelers.progress import ProgressView, Throttle, render_progress

log = logging.getLogger(__name__)

# The edit time only matters while the run is live; a day covers any pause between steps.
_EDIT_TIME_TTL_SECONDS = 24 * 3600


def post_progress_message(
    client: WebClient, channel: str, thread_ts: str | None, view: ProgressView
) -> str:
    """Post the first progress message; returns its ts."""
    text, blocks = render_progress(view)
    response = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=text, blocks=blocks
    )
    return str(response["ts"])


class ProgressMessage:
    """One run's progress message. ``offer`` never blocks training; ``show`` always lands."""

    def __init__(
        self,
        client: WebClient,
        store: redis.Redis,
        workspace: Workspace,
        run_id: str,
        channel: str,
        ts: str,
        clock: Clock,
        interval: float,
    ) -> None:
        self.client = client
        self.redis = store
        self.edit_time_key = workspace.keys.training_progress(run_id)
        self.channel = channel
        self.ts = ts
        stored = store.get(self.edit_time_key)
        self.throttle = Throttle(clock, interval, float(stored) if stored else None)
        self._lock = threading.Lock()

    def record_posted(self) -> None:
        """Count the first post as an edit, so the first real edit waits a full interval."""
        with self._lock:
            self._mark()

    def offer(self, view: ProgressView) -> bool:
        """Edit now if the interval has passed and no edit is under way; else drop the view."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if not self.throttle.due():
                return False
            self._edit(view)
            return True
        finally:
            self._lock.release()

    def show(self, view: ProgressView) -> None:
        """Edit as soon as the interval allows (waiting for it), e.g. for the final state."""
        with self._lock:
            self.throttle.wait()
            self._edit(view)

    def _edit(self, view: ProgressView) -> None:
        text, blocks = render_progress(view)
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)
        except (SlackClientError, OSError):
            # Progress is a courtesy: a failed edit must not fail the training.
            log.warning("could not edit the progress message %s", self.ts, exc_info=True)
        self._mark()

    def _mark(self) -> None:
        self.throttle.mark_sent()
        assert self.throttle.last_sent is not None
        self.redis.set(self.edit_time_key, repr(self.throttle.last_sent), ex=_EDIT_TIME_TTL_SECONDS)
