"""The Redis queue between the processes that ack Slack events and the ones that apply them.

A bot process acks an Events API delivery as soon as its signature checks out, and appends it
here; event processes take deliveries in order and run them through the Bolt app. So model work,
Slack calls and Redis look-ups never compete with acks for one interpreter lock, and an acked
delivery waits in Redis (which persists it) when no event process is running, instead of being
lost with a crashed process.

Taking a delivery does not remove it from Redis: it moves (``BLMOVE``, one atomic step) into the
taker's own processing list, and leaves that list only once its work has ended. Event processes
beat here, and one not heard of for ``CONSUMER_GONE_SECONDS`` is gone: any live one moves its
unfinished deliveries back to the head of the queue (:meth:`EventQueue.reclaim`). A process
killed mid-work therefore loses nothing it had taken, and a slow one that still beats keeps its
own. The beats also tell a bot's readiness probe whether anyone is taking deliveries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis

from bot.keys import EVENT_CONSUMERS_KEY, EVENT_PROCESSING_PREFIX, EVENT_QUEUE_KEY

SIGNATURE_HEADER = "x-slack-signature"
TIMESTAMP_HEADER = "x-slack-request-timestamp"
# Slack's headers kept with a delivery: its signature and timestamp, so the event process can
# check the body again (Redis is not trusted to hand back what the bot put in), and the retry
# headers a listener may care about.
KEPT_HEADERS = (SIGNATURE_HEADER, TIMESTAMP_HEADER, "x-slack-retry-num", "x-slack-retry-reason")

# An event process beats at least this often while it waits on the queue...
BEAT_SECONDS = 1.0
# ...and one not heard of for this long is taken for gone: its unfinished deliveries go back to
# the queue, and its apply-once claims may be taken over (see ``bot.transport.dedup``). Many
# beats long, so a busy process or a slow Redis round trip is never mistaken for a dead one.
CONSUMER_GONE_SECONDS = 15.0

# Moves every delivery of each gone consumer back to the head of the queue, in the order it was
# taken, and forgets the consumer, in one step: two live consumers reclaiming at once cannot
# both move one delivery. The processing lists are named from the consumer ids, so this script
# reaches keys it was not passed: fine on one Redis, which is what the bot runs on.
_RECLAIM = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local moved = 0
for _, consumer in ipairs(gone) do
  local processing = ARGV[2] .. consumer
  while redis.call('LMOVE', processing, KEYS[2], 'RIGHT', 'LEFT') do
    moved = moved + 1
  end
  redis.call('ZREM', KEYS[1], consumer)
end
return moved
"""

# A consumer leaving with deliveries unfinished stays listed, so that once its beats are old
# another one moves them back; one with none left is forgotten at once.
_LEAVE = """
if redis.call('LLEN', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
"""


class QueueEntryError(ValueError):
    """A queue entry that is not a delivery this code wrote; the message says what is wrong."""


@dataclass(frozen=True)
class QueuedDelivery:
    """One Events API delivery: its JSON body and Slack's headers as sent, and when it was acked."""

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
            raise QueueEntryError(f"not a queued delivery ({type(error).__name__})") from error
        if not isinstance(body, str) or not isinstance(headers, dict):
            raise QueueEntryError("not a queued delivery (wrong field types)")
        kept = {str(name).lower(): str(value) for name, value in headers.items()}
        return cls(body=body, acked_at=acked_at, headers=kept)


class EventQueue:
    """Deliveries in arrival order, shared by every bot and event process on one Redis."""

    def __init__(
        self,
        client: redis.Redis,
        key: str = EVENT_QUEUE_KEY,
        consumers_key: str = EVENT_CONSUMERS_KEY,
        processing_prefix: str = EVENT_PROCESSING_PREFIX,
        gone_seconds: float = CONSUMER_GONE_SECONDS,
    ) -> None:
        self.client = client
        self.key = key
        self.consumers_key = consumers_key
        self.processing_prefix = processing_prefix
        self.gone_seconds = gone_seconds
        self._reclaim = client.register_script(_RECLAIM)
        self._leave = client.register_script(_LEAVE)

    def processing_key(self, consumer: str) -> str:
        return self.processing_prefix + consumer

    def put(self, delivery: QueuedDelivery) -> int:
        """Append ``delivery``; the queue's length after it. Raises ``redis.RedisError``."""
        return int(self.client.rpush(self.key, delivery.to_json()))

    def take(self, consumer: str, wait_seconds: int) -> str | None:
        """The oldest entry, waiting up to ``wait_seconds`` (at least one) for one; None when
        none came. The entry stays in ``consumer``'s processing list until :meth:`finish`.
        """
        # Zero would mean "wait forever" to Redis, and a pump must come back to beat.
        timeout = max(1, wait_seconds)
        raw = self.client.blmove(self.key, self.processing_key(consumer), timeout, "LEFT", "RIGHT")
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def finish(self, consumer: str, raw: str) -> None:
        """Forget an entry ``consumer`` took: applied, a repeat, or not worth applying."""
        self.client.lrem(self.processing_key(consumer), 1, raw)

    def taken(self, consumer: str) -> int:
        """How many entries ``consumer`` took and has not finished."""
        return int(self.client.llen(self.processing_key(consumer)))

    def depth(self) -> int:
        """Entries waiting to be taken (those being worked on are not counted)."""
        return int(self.client.llen(self.key))

    def beat(self, consumer: str, now: float | None = None) -> None:
        """Record that ``consumer`` is taking deliveries."""
        self.client.zadd(self.consumers_key, {consumer: time.time() if now is None else now})

    def leave(self, consumer: str) -> None:
        """``consumer`` takes no more; forgotten now unless it leaves work unfinished."""
        self._leave(keys=[self.consumers_key, self.processing_key(consumer)], args=[consumer])

    def reclaim(self, now: float | None = None) -> int:
        """Put back the unfinished entries of every consumer gone silent; how many moved."""
        now = time.time() if now is None else now
        keys = [self.consumers_key, self.key]
        args: list[float | str] = [now - self.gone_seconds, self.processing_prefix]
        return int(self._reclaim(keys=keys, args=args))

    def live_consumers(self, now: float | None = None) -> int:
        """How many event processes beat within the last ``gone_seconds``."""
        now = time.time() if now is None else now
        return int(self.client.zcount(self.consumers_key, now - self.gone_seconds, "+inf"))

    def consumer_alive(self, consumer: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        beat = self.client.zscore(self.consumers_key, consumer)
        return beat is not None and float(beat) >= now - self.gone_seconds
