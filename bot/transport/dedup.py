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
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

import redis
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.keys import UnknownWorkspaceError, Workspace
from bot.observability.context import ContextCopyingExecutor

T = TypeVar("T")

log = logging.getLogger(__name__)

# Slack gives up redelivering after about an hour; a day leaves room for slow replays too.
CLAIM_TTL_SECONDS = 24 * 60 * 60

# Event types that stand for a posted message; the same message must be applied once across them.
MESSAGE_EVENT_TYPES = frozenset({"message", "app_mention"})

# Where a request's claim travels: set while dispatching, copied into every task it submits.
_pending_claim: contextvars.ContextVar[PendingClaim | None] = contextvars.ContextVar(
    "alignbot_pending_claim", default=None
)


def claim_once(client: redis.Redis, key: str, ttl_seconds: int = CLAIM_TTL_SECONDS) -> bool:
    """True for the first caller to claim ``key`` within ``ttl_seconds``, False for all others."""
    return bool(client.set(key, "1", nx=True, ex=ttl_seconds))


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

    def __init__(self, client: redis.Redis, find_keys: Callable[[], list[str]]) -> None:
        self._client = client
        self._find_keys = find_keys
        self._lock = threading.Lock()
        self._won: bool | None = None
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

    def _claim_all(self) -> bool:
        for key in self._find_keys():
            if not claim_once(self._client, key):
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
        if req.body.get("type") == "event_callback":
            try:
                workspace = Workspace.from_context(req.context)
            except UnknownWorkspaceError:
                pass  # no workspace to claim in; Bolt's authorization answers such requests
            else:
                claim = PendingClaim(self._client, partial(claim_keys, workspace, req.body))
        # Set for every request, so a server thread never carries one request's claim into the
        # next; the executors below copy it into each task the listeners start.
        _pending_claim.set(claim)
        return next()


def build_dedup_middleware(client: redis.Redis) -> Middleware:
    return ApplyOnceMiddleware(client)


class ApplyOnceExecutor(ContextCopyingExecutor):
    """A pool whose tasks run only when the delivery that submitted them won its claim.

    Tasks submitted outside any delivery (start-up work, jobs) always run.
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def if_claimed() -> T | None:
            claim = pending_claim()
            if claim is not None and not _won_or_logged(claim):
                return None
            return fn(*args, **kwargs)

        # The claim is read inside the task, from the context the parent copies at submit time.
        return super().submit(if_claimed)  # type: ignore[arg-type]


def _won_or_logged(claim: PendingClaim) -> bool:
    try:
        return claim.won()
    except redis.RedisError:
        # Nothing would otherwise see it: the task's future is never read. Without Redis the
        # delivery cannot be applied once, and most of its work needs Redis anyway.
        log.exception("could not claim a delivery; it is not applied")
        return False
