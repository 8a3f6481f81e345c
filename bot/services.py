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
from slack_sdk.oauth.token_rotation import TokenRotator

from alignment.model_helper import ServiceModelHelper
from bot.budgets import BudgetLimits, Budgets
from bot.installs.client import client_for
from bot.installs.store import RedisInstallationStore
from bot.installs.tokens import InstalledTokens, SingleToken, TokenResolver
from bot.keys import TRAINING_QUEUE, Workspace, model_rate_limit_key
from bot.models.build import build_model
from bot.models.metered import MeteredModel, metered
from bot.models.rate_limit import SharedRateLimit
from bot.observability.metrics import BotMetrics
from bot.redis_conn import RedisConnection, connect

if TYPE_CHECKING:
    from alignment.model_helper import ModelHelper
    from bot.config import Settings

# Slack asks callers to wait Retry-After seconds on 429; a few waits cover a burst.
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2


def build_web_client(settings: Settings) -> WebClient:
    """A WebClient for the configured Slack API that waits out rate limits and retries resets."""
    return WebClient(
        # No token in OAuth mode: each workspace's comes from the resolver (Services.tokens).
        token=settings.slack_bot_token or None,
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
    # What roles are handed: each helper above, counted and timed for the metrics.
    _metered: dict[str, MeteredModel] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.redis = self.redis_connection.client()

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(settings=settings, redis_connection=connect(settings))

    @cached_property
    def web_client(self) -> WebClient:
        """The app's client: API URL and retries; the bot token only in single-token mode.
        Code acting for a workspace uses :meth:`slack_for`."""
        return build_web_client(self.settings)

    @cached_property
    def installations(self) -> RedisInstallationStore:
        """Where OAuth mode keeps each workspace's installation and tokens."""
        return RedisInstallationStore(self.redis)

    @cached_property
    def tokens(self) -> TokenResolver:
        """The one source of bot tokens: the installations in OAuth mode, else SLACK_BOT_TOKEN."""
        settings = self.settings
        if not settings.oauth:
            return SingleToken(settings.slack_bot_token)
        assert settings.slack_client_id and settings.slack_client_secret
        rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=self.web_client,
        )
        return InstalledTokens(self.installations, rotator)

    def slack_for(self, workspace: Workspace) -> WebClient:
        """A Slack client that calls with ``workspace``'s token (asked for on every call)."""
        return client_for(self.tokens, workspace, self.web_client)

    def bot_token(self, workspace: Workspace) -> str:
        """``workspace``'s bot token, for what is not a Web API call (file downloads)."""
        return self.tokens.bot_token(workspace)

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

    @cached_property
    def budgets(self) -> Budgets:
        """The model-call budgets of people and workspaces, shared by every process."""
        limits = BudgetLimits(
            per_user=self.settings.user_calls_per_hour,
            per_workspace=self.settings.workspace_calls_per_hour,
        )
        return Budgets(self.redis, limits)

    @cached_property
    def metrics(self) -> BotMetrics:
        """This process's metrics; the Redis-backed ones are shared by every process."""
        return BotMetrics(
            self.redis,
            rq_client=lambda: self.redis_connection.client(decode_responses=False),
            known_queues=[TRAINING_QUEUE],
        )

    def model(self, spec: str) -> ModelHelper:
        """The helper for ``spec``, shared with every role that uses the same spec."""
        return self._model(spec)

    def _model(self, spec: str) -> ModelHelper:
        # One helper per spec, so both roles share one client (and its usage counts) when the
        # same model plays both.
        with self._model_lock:
            if spec not in self.models:
                self.models[spec] = self._with_rate_limit(spec, build_model(spec, self.settings))
            helper = self.models[spec]
            wrapped = self._metered.get(spec)
            if wrapped is None or wrapped.inner is not helper:
                wrapped = self._metered[spec] = metered(
                    helper, spec, self.metrics.observe_model_call
                )
            return wrapped

    def _with_rate_limit(self, spec: str, helper: ModelHelper) -> ModelHelper:
        """Pace ``helper`` by ALIGN_MODEL_RPM, counted across every process on this Redis."""
        rpm = self.settings.model_requests_per_minute
        if rpm is not None and isinstance(helper, ServiceModelHelper):
            helper.request_gate = SharedRateLimit(self.redis, model_rate_limit_key(spec), rpm)
        return helper

    def close(self) -> None:
        self.redis_connection.close()
