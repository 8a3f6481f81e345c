"""OAuth state values in Redis, behind slack_sdk's ``OAuthStateStore`` interface.

A state ties Slack's redirect back to the install link the bot gave out. Each one is
``{issued}.{nonce}.{signature}``: the signature (HMAC-SHA256 with ``SLACK_STATE_SECRET``) means
only the bot can mint one, even for someone who can write to Redis; the issue time bounds its
life even if Redis kept it longer; and it is stored under a digest, so Redis never holds a
usable value. Consuming deletes it in one step, so a state is good for exactly one install.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from logging import Logger

import redis
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.keys import oauth_state_key

# Long enough to sign in to Slack and pick a workspace; Slack's own default.
STATE_SECONDS = 600
# Anything longer is not a state this store issued; refused before any work.
MAX_STATE_LENGTH = 200


class RedisOAuthStateStore(OAuthStateStore):
    def __init__(
        self,
        client: redis.Redis,
        secret: str,
        expiration_seconds: int = STATE_SECONDS,
        clock: Callable[[], float] = time.time,
        logger: Logger | None = None,
    ) -> None:
        self.redis = client
        self._secret = secret.encode()
        self.expiration_seconds = expiration_seconds
        self.clock = clock
        self._logger = logger or logging.getLogger(__name__)

    @property
    def logger(self) -> Logger:
        return self._logger

    def issue(self, *args: object, **kwargs: object) -> str:
        signed = f"{int(self.clock())}.{secrets.token_urlsafe(24)}"
        state = f"{signed}.{self._sign(signed)}"
        self.redis.set(_key(state), "1", ex=self.expiration_seconds, nx=True)
        return state

    def consume(self, state: str) -> bool:
        """True once for a state this store issued, unexpired; False otherwise."""
        if not isinstance(state, str) or len(state) > MAX_STATE_LENGTH:
            return False
        signed, _, signature = state.rpartition(".")
        issued, _, nonce = signed.partition(".")
        if not nonce or not hmac.compare_digest(signature, self._sign(signed)):
            self.logger.info("refused an OAuth state this bot did not issue")
            return False
        # Deleted whether or not it is still fresh, so an expired state cannot come back.
        stored = int(self.redis.delete(_key(state))) == 1
        if not issued.isdigit() or self.clock() - int(issued) > self.expiration_seconds:
            self.logger.info("refused an expired OAuth state")
            return False
        if not stored:
            self.logger.info("refused an OAuth state that was already used")
        return stored

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()


def _key(state: str) -> str:
    return oauth_state_key(hashlib.sha256(state.encode()).hexdigest())
