"""What every listener and job needs, built once per process and passed around explicitly."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.models import build_model
from bot.redis_conn import RedisConnection, connect

if TYPE_CHECKING:
    from alignment.model_base import ModelHelper
    from bot.settings import Settings

# Slack asks callers to wait Retry-After seconds on 429; a few waits cover a burst.
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2


def build_web_client(settings: Settings) -> WebClient:
    """A WebClient for the configured Slack API that waits out rate limits and retries resets."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


@dataclass
class Services:
    """Settings, Redis, the Slack client and the two models; models are built on first use.

    ``redis`` answers with str. Code that needs bytes (RQ) asks ``redis_connection.client(
    decode_responses=False)`` for its own client on the same server.
    """

    settings: Settings
    redis_connection: RedisConnection
    redis: redis.Redis = field(init=False)
    _model_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Helpers already built, by spec; tests hand in scripted models here.
    models: dict[str, ModelHelper] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.redis = self.redis_connection.client()

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings=settings, redis_connection=connect(settings))

    @cached_property
    def web_client(self) -> WebClient:
        return build_web_client(self.settings)

    @property
    def prompt_model(self) -> ModelHelper:
        """The model that answers prompts (ALIGN_MODEL)."""
        return self._model(self.settings.model_spec)

    @property
    def alignment_model(self) -> ModelHelper:
        """The model that turns feedback into principles (ALIGN_ALIGNMENT_MODEL or ALIGN_MODEL)."""
        return self._model(self.settings.effective_alignment_model_spec)

    @property
    def train_model(self) -> ModelHelper:
        """The model that trains labelers (ALIGN_TRAIN_MODEL, else the alignment model)."""
        return self._model(self.settings.effective_train_model_spec)

    def _model(self, spec: str) -> ModelHelper:
        # One helper per spec, so both roles share one client (and its usage counts) when the
        # same model plays both.
        with self._model_lock:
            if spec not in self.models:
                self.models[spec] = build_model(spec, self.settings)
            return self.models[spec]

    def close(self) -> None:
        self.redis_connection.close()
