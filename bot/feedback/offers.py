"""The life of the reasons offered for one reaction: generating, offered, chosen or withdrawn.

A reaction says no *why*, so the bot offers reasons; the person may take their reaction back at
any moment, even while the reasons are still being written. One Redis hash per (message, person,
emoji) holds the state, and every transition is a compare-and-set, so whichever comes second
sees what the first did:

- removing the reaction while reasons are being generated marks the offer withdrawn, and the
  generator deletes its message as soon as it has posted it;
- removing it after they are posted withdraws them at once;
- removing it after a reason was chosen changes nothing (the change stands; it has an Undo);
- choosing is claimed once, so a double click or a retried delivery changes nothing more.

The same shape serves the request for a rewrite, whose "choice" is the person's next reply.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from redis.client import Pipeline

from bot.keys import Workspace

# Offers nobody answers are dropped after a week.
OFFER_TTL_SECONDS = 7 * 24 * 60 * 60

GENERATING, OFFERED, CHOSEN, WITHDRAWN = "generating", "offered", "chosen", "withdrawn"


@dataclass(frozen=True)
class ReactionTarget:
    """One person's reaction on one answer message."""

    channel: str
    item_ts: str
    user: str
    reaction: str

    def key(self, workspace: Workspace) -> str:
        return workspace.keys.reaction_offer(self.channel, self.item_ts, self.user, self.reaction)


@dataclass(frozen=True)
class Offer:
    """What a button or form needs to turn a chosen reason into feedback."""

    token: str
    target: ReactionTarget
    kind: str
    run_id: str
    candidate: int
    thread_ts: str
    reasons: list[str] = field(default_factory=list)
    message_ts: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Offer:
        payload: dict[str, Any] = json.loads(raw)
        payload["target"] = ReactionTarget(**payload["target"])
        return cls(**payload)


def new_token() -> str:
    return uuid.uuid4().hex


class OfferBook:
    """Offers of one workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.workspace = workspace

    def _pending_key(self, token: str) -> str:
        return self.workspace.keys.pending(token)

    def begin(self, offer: Offer) -> bool:
        """Start an offer; False when one for this reaction is already being made or shown."""
        key = offer.target.key(self.workspace)
        started: list[bool] = []

        def attempt(pipe: Pipeline) -> None:
            started.clear()
            status = pipe.hget(key, "status")
            if status in (GENERATING, OFFERED):
                started.append(False)
                return
            pipe.multi()
            pipe.delete(key)
            pipe.hset(key, mapping={"status": GENERATING, "token": offer.token})
            pipe.expire(key, OFFER_TTL_SECONDS)
            pipe.set(self._pending_key(offer.token), offer.to_json(), ex=OFFER_TTL_SECONDS)
            started.append(True)

        self.redis.transaction(attempt, key)
        return started[0]

    def posted(self, offer: Offer, message_ts: str) -> bool:
        """Record the posted message; False when the reaction was withdrawn meanwhile."""
        key = offer.target.key(self.workspace)
        shown = dataclasses.replace(offer, message_ts=message_ts)
        result: list[bool] = []

        def attempt(pipe: Pipeline) -> None:
            result.clear()
            live = pipe.hget(key, "status") == GENERATING and pipe.hget(key, "token") == offer.token
            pipe.multi()
            if live:
                pipe.hset(key, mapping={"status": OFFERED, "message_ts": message_ts})
                pipe.set(self._pending_key(offer.token), shown.to_json(), ex=OFFER_TTL_SECONDS)
            else:
                pipe.delete(self._pending_key(offer.token))
            result.append(live)

        self.redis.transaction(attempt, key)
        return result[0]

    def abandon(self, offer: Offer) -> None:
        """Forget an offer that could not be made (the model or Slack failed)."""
        key = offer.target.key(self.workspace)

        def attempt(pipe: Pipeline) -> None:
            mine = pipe.hget(key, "token") == offer.token
            pipe.multi()
            if mine:
                pipe.delete(key)
            pipe.delete(self._pending_key(offer.token))

        self.redis.transaction(attempt, key)

    def withdraw(self, target: ReactionTarget) -> str | None:
        """Take back the offer for ``target``; returns the ts of a message to remove, if any."""
        key = target.key(self.workspace)
        to_remove: list[str | None] = []

        def attempt(pipe: Pipeline) -> None:
            to_remove.clear()
            state = {str(k): str(v) for k, v in pipe.hgetall(key).items()}
            status, token = state.get("status"), state.get("token")
            pipe.multi()
            if status == GENERATING:
                pipe.hset(key, "status", WITHDRAWN)
            elif status == OFFERED:
                pipe.delete(key)
                if token:
                    pipe.delete(self._pending_key(token))
            to_remove.append(state.get("message_ts") if status == OFFERED else None)

        self.redis.transaction(attempt, key)
        return to_remove[0]

    def claim(self, token: str) -> Offer | None:
        """Take the offer behind ``token`` for a choice; None when it is gone or already taken."""
        raw = self.redis.get(self._pending_key(token))
        if raw is None:
            return None
        offer = Offer.from_json(str(raw))
        key = offer.target.key(self.workspace)
        claimed: list[bool] = []

        def attempt(pipe: Pipeline) -> None:
            claimed.clear()
            ok = pipe.hget(key, "status") == OFFERED and pipe.hget(key, "token") == token
            pipe.multi()
            if ok:
                pipe.hset(key, "status", CHOSEN)
                pipe.delete(self._pending_key(token))
            claimed.append(ok)

        self.redis.transaction(attempt, key)
        return offer if claimed[0] else None

    def peek(self, token: str) -> Offer | None:
        """The offer behind ``token`` without claiming it (to open the "my own" form)."""
        raw = self.redis.get(self._pending_key(token))
        return Offer.from_json(str(raw)) if raw is not None else None
