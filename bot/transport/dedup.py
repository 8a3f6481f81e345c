"""Apply every Slack delivery once, however often and in however many shapes it arrives.

Slack redelivers an event when an ack is slow (with ``X-Slack-Retry-Num``), and one message that
mentions the bot arrives twice, as ``app_mention`` and as ``message``. Each is claimed in Redis
with ``SET NX EX``: the first claim wins, later copies are acked and change nothing. Claims
expire, so Redis does not grow with history.

Apply-once is about effects, not acks: an ack changes nothing, and a Redis round trip before it
would make every ack wait on Redis (and, on a busy process, on the interpreter lock after it).
So the middleware only names the claims a delivery must win; the claim is made after the ack,
by the first task that works on the delivery, in the listener or background thread that runs it
(see :class:`ApplyOnceExecutor`). A delivery that loses never runs a listener.

A claim made for a queued delivery names its owner, the event process working on it, and says
"done" once that work has ended (see ``bot.transport.delivery_work``). An event process killed
mid-work leaves claims that name it and are not done; its deliveries go back to the queue (see
``bot.transport.event_queue``), and the process that takes one again may take those claims
over once the owner has stopped beating. A claim whose owner still beats is never taken over,
so a slow listener's delivery is not applied twice. Claims made outside an event process
(Socket Mode, uploads) name no owner and are never taken over.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

import redis
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.keys import UnknownWorkspaceError, Workspace
from bot.observability.context import ContextCopyingExecutor
from bot.transport.delivery_work import (
    DELIVERY_WORK,
    ClaimLease,
    DeliveryWork,
    current_work,
    set_current_work,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

# Slack gives up redelivering after about an hour; a day leaves room for slow replays too.
CLAIM_TTL_SECONDS = 24 * 60 * 60

# What a claim holds once the work behind it has ended; while it runs, OWNED_BY + the owner.
DONE = "done"
OWNED_BY = "owner:"

# Claims every key for ARGV[1] (all or none), unless one is done, is held without an owner,
# is already this owner's, or is held by an owner that beat since ARGV[3]. KEYS[#KEYS] is
# the zset of event processes' beats.
_CLAIM_OR_TAKE_OVER = """
local consumers = KEYS[#KEYS]
for i = 1, #KEYS - 1 do
  local held = redis.call('GET', KEYS[i])
  if held then
    if string.sub(held, 1, 6) ~= 'owner:' then return 0 end
    local owner = string.sub(held, 7)
    if owner == ARGV[1] then return 0 end
    local beat = redis.call('ZSCORE', consumers, owner)
    if beat and tonumber(beat) >= tonumber(ARGV[3]) then return 0 end
  end
end
local taken_over = 0
for i = 1, #KEYS - 1 do
  if redis.call('EXISTS', KEYS[i]) == 1 then taken_over = taken_over + 1 end
  redis.call('SET', KEYS[i], 'owner:' .. ARGV[1], 'EX', ARGV[2])
end
return 1 + taken_over
"""

# Marks the keys still held by ARGV[1] done, keeping their expiry.
_FINISH = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('SET', KEYS[i], 'done', 'KEEPTTL')
  end
end
"""

# Event types that stand for a posted message; the same message must be applied once across them.
MESSAGE_EVENT_TYPES = frozenset({"message", "app_mention"})

# Where a request's claim travels: set while dispatching, copied into every task it submits.
_pending_claim: contextvars.ContextVar[PendingClaim | None] = contextvars.ContextVar(
    "alignbot_pending_claim", default=None
)


def claim_once(client: redis.Redis, key: str, ttl_seconds: int = CLAIM_TTL_SECONDS) -> bool:
    """True for the first caller to claim ``key`` within ``ttl_seconds``, False for all others.

    Called while working on a queued delivery (an upload's file, say), the claim is that
    delivery's: it names its event process, may be taken over if that process dies before the
    work ends, and says done once it has ended.
    """
    work = current_work()
    if work is None:
        return _set_once(client, key, ttl_seconds)
    if not _claim_or_take_over(client, [key], work.lease, ttl_seconds):
        return False
    work.when_ended(partial(_finish_claims, client, [key], work.lease))
    return True


def _set_once(client: redis.Redis, key: str, ttl_seconds: int = CLAIM_TTL_SECONDS) -> bool:
    # No owner: nothing could tell whether its work ended, so it is never taken over.
    return bool(client.set(key, "1", nx=True, ex=ttl_seconds))


def _claim_or_take_over(
    client: redis.Redis, keys: list[str], lease: ClaimLease, ttl_seconds: int = CLAIM_TTL_SECONDS
) -> bool:
    if not keys:
        return True
    script = client.register_script(_CLAIM_OR_TAKE_OVER)
    live_since = time.time() - lease.gone_seconds
    outcome = int(
        script(keys=[*keys, lease.consumers_key], args=[lease.owner, ttl_seconds, live_since])
    )
    if outcome > 1:
        log.warning("applying a delivery whose event process died before finishing it")
    return outcome > 0


def _finish_claims(client: redis.Redis, keys: list[str], lease: ClaimLease) -> None:
    client.register_script(_FINISH)(keys=keys, args=[OWNED_BY + lease.owner])


def claim_keys(workspace: Workspace, body: dict[str, Any]) -> list[str]:
    """The apply-once keys an Events API body must win; empty for other kinds of request."""
    if body.get("type") != "event_callback":
        return []
    keys = workspace.keys
    claims = []
    if event_id := body.get("event_id"):
        claims.append(keys.seen_event(str(event_id)))
    event = body.get("event") or {}
    channel, ts = event.get("channel"), event.get("ts")
    if event.get("type") in MESSAGE_EVENT_TYPES and channel and ts:
        claims.append(keys.seen_message(str(channel), str(ts)))
    return claims


class PendingClaim:
    """The claims one delivery must win, made once, by whichever of its tasks asks first.

    ``find_keys`` names them; it too is called only then, to keep even that off the ack path.
    """

    def __init__(
        self,
        client: redis.Redis,
        find_keys: Callable[[], list[str]],
        lease: ClaimLease | None = None,
    ) -> None:
        self._client = client
        self._find_keys = find_keys
        self._lease = lease
        self._lock = threading.Lock()
        self._won: bool | None = None
        self._keys: list[str] = []
        self._on_settled: list[Callable[[bool], None]] = []

    def won(self) -> bool:
        """Claim the keys (the first call only); True when this delivery is the one to apply."""
        with self._lock:
            if self._won is None:
                self._won = self._claim_all()
                settled, self._on_settled = self._on_settled, []
            else:
                settled = []
        for callback in settled:
            callback(self._won)
        return self._won

    def when_settled(self, callback: Callable[[bool], None]) -> None:
        """Call ``callback(won)`` once the claim is made (now, when it already is)."""
        with self._lock:
            if self._won is None:
                self._on_settled.append(callback)
                return
        callback(self._won)

    def finish(self) -> None:
        """Say that the work of this delivery has ended, so its claims are never taken over."""
        with self._lock:
            keys = self._keys if self._won else []
        if keys and self._lease is not None:
            _finish_claims(self._client, keys, self._lease)

    def _claim_all(self) -> bool:
        keys = self._find_keys()
        if self._lease is not None:
            won = _claim_or_take_over(self._client, keys, self._lease)
            if won:
                self._keys = keys
            else:
                log.info("dropping a repeated delivery (%s)", keys[0].rsplit(":seen:", 1)[-1])
            return won
        for key in keys:
            if not _set_once(self._client, key):
                log.info("dropping a repeated delivery (%s)", key.rsplit(":seen:", 1)[-1])
                return False
        return True


def pending_claim() -> PendingClaim | None:
    """The claim of the delivery being served (or worked on) in this context, if it has one."""
    return _pending_claim.get()


def apply_nothing() -> None:
    """Say that the delivery being dispatched has nothing to apply, so its tasks make no claim.

    A delivery that only gets acked must not win the claim of a message that another shape of
    the same message (an ``app_mention`` and its ``message``) still has work for.
    """
    _pending_claim.set(None)


class ApplyOnceMiddleware(Middleware):
    """A Bolt global middleware that names each delivery's claims, for its tasks to make.

    A :class:`Middleware` rather than a function: Bolt calls it directly, where a function
    middleware first gets every argument it could ask for built, on every request's ack path.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        claim = None
        work = req.context.get(DELIVERY_WORK)
        work = work if isinstance(work, DeliveryWork) else None
        if req.body.get("type") == "event_callback":
            try:
                workspace = Workspace.from_context(req.context)
            except UnknownWorkspaceError:
                pass  # no workspace to claim in; Bolt's authorization answers such requests
            else:
                find_keys = partial(claim_keys, workspace, req.body)
                lease = work.lease if work is not None else None
                claim = PendingClaim(self._client, find_keys, lease)
                if work is not None:
                    work.when_ended(claim.finish)
        # Set for every request, so a server thread never carries one request's claim (or work)
        # into the next; the executors below copy them into each task the listeners start.
        _pending_claim.set(claim)
        set_current_work(work)
        return next()


def build_dedup_middleware(client: redis.Redis) -> Middleware:
    return ApplyOnceMiddleware(client)


class ApplyOnceExecutor(ContextCopyingExecutor):
    """A pool whose tasks run only when the delivery that submitted them won its claim.

    Tasks submitted outside any delivery (start-up work, jobs) always run. A queued delivery's
    tasks are counted until they return, so its event process knows when its work has ended.
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        work = current_work()

        def if_claimed() -> T | None:
            try:
                claim = pending_claim()
                if claim is not None and not _won_or_logged(claim):
                    return None
                return fn(*args, **kwargs)
            finally:
                if work is not None:
                    work.end()

        if work is not None:
            work.begin()
        try:
            # The claim is read inside the task, from the context the parent copies at submit.
            return super().submit(if_claimed)  # type: ignore[arg-type]
        except BaseException:
            if work is not None:
                work.end()
            raise


def _won_or_logged(claim: PendingClaim) -> bool:
    try:
        return claim.won()
    except redis.RedisError:
        # Nothing would otherwise see it: the task's future is never read. Without Redis the
        # delivery cannot be applied once, and most of its work needs Redis anyway.
        log.exception("could not claim a delivery; it is not applied")
        return False
