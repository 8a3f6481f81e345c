"""What a training job runs with: the bot's services, timing settings, a clock, a stop signal.

RQ runs a job by importing its function, so a job cannot be handed objects; it asks
:func:`current_runtime` instead. ``alignbot worker`` and ``alignbot serve`` install theirs at
start-up (tests install one with a scripted model and a controlled clock); a worker started any
other way builds one from the environment on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bot.config import Settings
from bot.keys import TRAINING_QUEUE
from bot.labelers.clock import Clock, SystemClock
from bot.services import Services

QUEUE_NAME = TRAINING_QUEUE


@dataclass(frozen=True)
class TrainingConfig:
    queue_name: str = QUEUE_NAME
    # A running step renews its lease every third of this; a worker that stops renewing is
    # noticed within 1.5 leases (the reaper looks every half lease), well inside a minute.
    lease_seconds: float = 30.0
    # How often a step is started (first run plus restarts after a worker died) before the
    # training is given up, so a step that kills its worker cannot loop forever.
    max_attempts: int = 3
    # RQ stops a step that runs longer than this; a step of a large run can take an hour.
    step_timeout_seconds: int = 4 * 3600
    progress_interval_seconds: float = 3.0
    # The uploaded data must outlive the training that reads it, and no more than that by much.
    dataset_ttl_seconds: int = 14 * 24 * 3600
    max_dataset_bytes: int = 5_000_000
    cache_ttl_seconds: int = 7 * 24 * 3600
    # Cancel flags are read from Redis at most this often, however many calls run at once.
    cancel_check_seconds: float = 0.2

    @property
    def reap_interval_seconds(self) -> float:
        return self.lease_seconds / 2

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainingConfig:
        """Defaults, with the lease set by ``ALIGN_TRAIN_LEASE_SECONDS`` when it is given."""
        if settings.train_lease_seconds is None:
            return cls()
        return cls(lease_seconds=settings.train_lease_seconds)


@dataclass
class TrainingRuntime:
    services: Services
    config: TrainingConfig = field(default_factory=TrainingConfig)
    clock: Clock = field(default_factory=SystemClock)
    # Set when the process is shutting down: running steps hand their work back to the queue.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def redis(self) -> Redis:
        return self.services.redis

    @cached_property
    def rq_redis(self) -> Redis:
        """RQ stores bytes, so it gets a client of its own that does not decode answers."""
        return self.services.redis_connection.client(decode_responses=False)

    def queue(self) -> Queue:
        return Queue(self.config.queue_name, connection=self.rq_redis, serializer=JSONSerializer)


_installed: TrainingRuntime | None = None
_install_lock = threading.Lock()


def install_runtime(runtime: TrainingRuntime | None) -> None:
    """Make ``runtime`` the one jobs in this process use (None forgets it)."""
    global _installed
    with _install_lock:
        _installed = runtime


def installed_runtime() -> TrainingRuntime | None:
    """The runtime installed in this process, if any (without building one)."""
    with _install_lock:
        return _installed


def current_runtime() -> TrainingRuntime:
    global _installed
    with _install_lock:
        if _installed is None:
            from bot.config import load_settings

            settings = load_settings()
            _installed = TrainingRuntime(
                Services.from_settings(settings), TrainingConfig.from_settings(settings)
            )
        return _installed
