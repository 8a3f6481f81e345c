"""A lease on a running training step: held in Redis with a TTL, kept alive by a heartbeat.

The worker running a step renews the lease every third of its TTL. If the worker dies, the
lease simply expires, and the reaper hands the step to another worker. A worker that was only
slow and comes back to find its lease gone (or taken) must stop: it learns so from ``lost``,
and every write it makes is guarded by :meth:`Lease.check` inside a WATCH transaction.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger(__name__)

# Both scripts touch the key only while it still names this owner.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
# Renewals per TTL: one missed heartbeat (a slow Redis reply) does not lose the lease.
_HEARTBEATS_PER_TTL = 3


class LeaseLostError(Exception):
    """This worker no longer holds the step's lease; another worker may be running the step."""


class Lease:
    def __init__(
        self, client: redis.Redis, key: str, ttl_seconds: float, owner: str | None = None
    ) -> None:
        self.redis = client
        self.key = key
        self.ttl_ms = max(int(ttl_seconds * 1000), 1)
        self.owner = owner or uuid.uuid4().hex
        self._lost = threading.Event()
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def acquire(self) -> bool:
        """Take the lease if nobody holds it."""
        return bool(self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        held = bool(self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))
        if not held:
            self._lost.set()
        return held

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.owner])

    def check(self, pipe: redis.client.Pipeline) -> None:
        """Inside a transaction that watches ``self.key``: raise unless this owner holds it."""
        if pipe.get(self.key) != self.owner:
            self._lost.set()
            raise LeaseLostError(f"the lease {self.key} is no longer held by this worker")

    @contextmanager
    def heartbeat(self) -> Iterator[Lease]:
        """Renew the lease in a background thread until the block ends."""
        done = threading.Event()
        interval = self.ttl_ms / 1000 / _HEARTBEATS_PER_TTL

        def beat() -> None:
            while not done.wait(interval):
                try:
                    if not self.renew():
                        log.warning("lease %s was lost; the step will stop", self.key)
                        return
                except redis.RedisError:
                    # A blip is survivable: the next beat still comes before the lease expires.
                    log.warning("could not renew lease %s", self.key, exc_info=True)

        thread = threading.Thread(target=beat, name="training-lease", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            done.set()
            thread.join()
