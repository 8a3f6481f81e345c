"""The bot's Prometheus metrics, served on ``GET /metrics``.

Two kinds of family:

- Per process, kept in memory: ``alignbot_ack_seconds`` (time to acknowledge a Slack request)
  and ``alignbot_events_total`` (requests by type and outcome). With several bot processes each
  serves its own ``/metrics``; sum these across instances. The HTTP server is threaded, so one
  process has one set of counters and needs no multiprocess mode.
- For the whole deployment, kept in Redis (see ``bot.observability.shared_metrics``), because
  most model calls and every training step happen in workers and event processes that serve no
  ``/metrics`` of their own: model calls, errors and latency
  by model (``alignbot_model_*``), job durations and outcomes (``alignbot_job*``), and queue
  depth. Every bot process reports the same values; aggregate with ``max``, not ``sum``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app

from bot.keys import shared_metric_key
from bot.observability.queue_metrics import QueueDepthCollector
from bot.observability.shared_metrics import CountOf, SharedHistogram, SharedHistogramCollector

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

log = logging.getLogger(__name__)

# Slack gives up on an ack after 3 seconds; the buckets are dense below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
MODEL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
# From an event's ack to its apply-once decision: milliseconds when event processes keep up.
EVENT_WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

MODEL_OK = "ok"  # the outcome label of a model call that returned an answer
JOB_SUCCEEDED = "succeeded"
JOB_FAILED = "error"  # the job raised; a job that reports its own failure says "failed"


def outcome_label(result: str) -> str:
    """A job's result ("skipped: step 3 was already done") as a label value ("skipped")."""
    head = result.split(":", 1)[0].strip().lower()
    return "_".join(head.split()) or JOB_SUCCEEDED


@dataclass
class JobOutcome:
    """What became of a job; a job sets ``value`` when it ends some other way (``cancelled``)."""

    value: str = JOB_SUCCEEDED


class BotMetrics:
    """One process's registry, its in-memory families, and the Redis-backed ones it reads."""

    def __init__(
        self,
        client: redis.Redis,
        rq_client: Callable[[], redis.Redis] | None = None,
        known_queues: Sequence[str] = (),
    ) -> None:
        """``client`` answers with str; ``rq_client`` makes a bytes-answering client for RQ."""
        self.registry = CollectorRegistry()
        self.ack_seconds = Histogram(
            "alignbot_ack_seconds",
            "Time from receiving a Slack request to acknowledging it, by kind of request",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.events = Counter(
            "alignbot_events",
            "Slack requests received, by type (event type, slash_command, block_actions...) and "
            "outcome (handled, dropped as a repeat or noise, rejected, unhandled, error)",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.model_calls = SharedHistogram(
            client,
            shared_metric_key("model_calls"),
            "alignbot_model_call_seconds",
            "Duration of model calls (retries included), by model spec and outcome",
            ["model", "outcome"],
            MODEL_BUCKETS,
        )
        self.jobs = SharedHistogram(
            client,
            shared_metric_key("jobs"),
            "alignbot_job_duration_seconds",
            "Duration of background jobs, by kind and outcome",
            ["kind", "outcome"],
            JOB_BUCKETS,
        )
        self.registry.register(
            SharedHistogramCollector(
                self.model_calls,
                [
                    CountOf(
                        "alignbot_model_calls",
                        "Model calls made by any process, by model spec",
                        {"model": "model"},
                    ),
                    CountOf(
                        "alignbot_model_errors",
                        "Model calls that failed after their retries, by model spec and error",
                        {"model": "model", "error": "outcome"},
                        keep=lambda labels: labels["outcome"] != MODEL_OK,
                    ),
                ],
            )
        )
        self.event_waits = SharedHistogram(
            client,
            shared_metric_key("event_waits"),
            "alignbot_event_wait_seconds",
            "Time from acknowledging a Slack event to applying it (handled) or dropping it as a "
            "repeat or noise (dropped), by event type and outcome",
            ["type", "outcome"],
            EVENT_WAIT_BUCKETS,
        )
        self.registry.register(SharedHistogramCollector(self.event_waits))
        self.registry.register(
            SharedHistogramCollector(
                self.jobs,
                [
                    CountOf(
                        "alignbot_jobs",
                        "Background jobs finished, by kind and outcome",
                        {"kind": "kind", "outcome": "outcome"},
                    )
                ],
            )
        )
        if rq_client is not None:
            self.registry.register(QueueDepthCollector(rq_client, known_queues))

    def observe_model_call(self, model: str, outcome: str, seconds: float) -> None:
        """Count one model call; a Redis failure loses the count, never the call."""
        _observe_quietly(self.model_calls, (model, outcome), seconds)

    def observe_event_wait(self, type_: str, outcome: str, seconds: float) -> None:
        """Count one queued event applied or dropped; a Redis failure loses the count only."""
        _observe_quietly(self.event_waits, (type_, outcome), seconds)

    def observe_job(self, kind: str, outcome: str, seconds: float) -> None:
        """Count one finished job; a Redis failure loses the count, never the job."""
        _observe_quietly(self.jobs, (kind, outcome), seconds)

    @contextlib.contextmanager
    def timed_job(
        self, kind: str, clock: Callable[[], float] = time.monotonic
    ) -> Iterator[JobOutcome]:
        """Time the ``with`` block as one job of ``kind``; an exception makes it ``failed``."""
        outcome = JobOutcome()
        started = clock()
        try:
            yield outcome
        except BaseException:
            if outcome.value == JOB_SUCCEEDED:
                outcome.value = JOB_FAILED
            raise
        finally:
            self.observe_job(kind, outcome.value, clock() - started)

    def wsgi_app(self) -> WSGIApplication:
        """The ``/metrics`` endpoint (text format; OpenMetrics and gzip when asked for)."""
        return make_wsgi_app(self.registry)

    def sample(self, name: str, **labels: str) -> float | None:
        """The current value of one sample, e.g. ``sample("alignbot_jobs_total", kind=...)``."""
        return self.registry.get_sample_value(name, labels)


def _observe_quietly(histogram: SharedHistogram, labels: Iterable[str], seconds: float) -> None:
    try:
        histogram.observe(tuple(labels), seconds)
    except redis.RedisError as error:
        log.debug("could not count %s: %s", histogram.name, error)
