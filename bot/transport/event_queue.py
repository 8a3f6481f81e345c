"""The Redis queue between the processes that ack Slack events and the ones that apply them.

A bot process acks an Events API delivery as soon as its signature checks out, and appends it
here; event processes take deliveries in order and run them through the Bolt app. So model work,
Slack calls and Redis look-ups never compete with acks for one interpreter lock, and an acked
delivery waits in Redis (which persists it) when no event process is running, instead of being
lost with a crashed process.

Event processes also beat here: each one records when it last looked at the queue, so a bot's
readiness probe can tell whether anyone is taking deliveries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis

from bot.keys import EVENT_CONSUMERS_KEY, EVENT_QUEUE_KEY

# Slack's headers a listener may care about once the signature has been checked.
KEPT_HEADERS = ("x-slack-retry-num", "x-slack-retry-reason")

# An event process beats at least this often while it waits on the queue...
BEAT_SECONDS = 1.0
# ...and one not heard of for this long is taken for gone.
CONSUMER_GONE_SECONDS = 15.0


class QueueEntryError(ValueError):
    """A queue entry that is not a delivery this code wrote; the message says what is wrong."""


@dataclass(frozen=True)
class QueuedDelivery:
    """One Events API delivery: its JSON body as Slack sent it, and when it was acked."""

    body: str
    acked_at: float
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"body": self.body, "acked_at": self.acked_at, "headers": self.headers})

    @classmethod
    def from_json(cls, raw: str) -> QueuedDelivery:
        try:
            data = json.loads(raw)
            body, acked_at, headers = data["body"], float(data["acked_at"]), data["headers"]
        except (ValueError, TypeError, KeyError) as error:
            raise QueueEntryError(f"not a queued delivery ({error!r}): {raw[:80]!r}") from error
        if not isinstance(body, str) or not isinstance(headers, dict):
            raise QueueEntryError(f"not a queued delivery: {raw[:80]!r}")
        kept = {str(name): str(value) for name, value in headers.items()}
        return cls(body=body, acked_at=acked_at, headers=kept)


class EventQueue:
    """Deliveries in arrival order, shared by every bot and event process on one Redis."""

    def __init__(
        self,
        client: redis.Redis,
        key: str = EVENT_QUEUE_KEY,
        consumers_key: str = EVENT_CONSUMERS_KEY,
    ) -> None:
        self.client = client
        self.key = key
        self.consumers_key = consumers_key

    def put(self, delivery: QueuedDelivery) -> int:
        """Append ``delivery``; the queue's length after it. Raises ``redis.RedisError``."""
        return int(self.client.rpush(self.key, delivery.to_json()))

    def take(self, wait_seconds: float) -> str | None:
        """The oldest entry, waiting up to ``wait_seconds`` for one; None when none came."""
        found = self.client.blpop([self.key], timeout=wait_seconds)
        if found is None:
            return None
        _, raw = found
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def depth(self) -> int:
        return int(self.client.llen(self.key))

    def beat(self, consumer: str, now: float | None = None) -> None:
        """Record that ``consumer`` is taking deliveries."""
        self.client.zadd(self.consumers_key, {consumer: time.time() if now is None else now})

    def leave(self, consumer: str) -> None:
        self.client.zrem(self.consumers_key, consumer)

    def live_consumers(self, now: float | None = None) -> int:
        """How many event processes beat within the last ``CONSUMER_GONE_SECONDS``."""
        now = time.time() if now is None else now
        # Forget the long gone, so the set stays as small as the deployment.
        self.client.zremrangebyscore(self.consumers_key, "-inf", now - 10 * CONSUMER_GONE_SECONDS)
        return int(self.client.zcount(self.consumers_key, now - CONSUMER_GONE_SECONDS, "+inf"))
