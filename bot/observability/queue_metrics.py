"""Background queues as seen at scrape time: jobs waiting per RQ queue, Slack events waiting for
an event process, and Redis reachability.

Read when Prometheus scrapes, straight from Redis (the length of each queue's list), so the
value is current and nothing has to keep it up to date. Like every Redis-backed family it is the
same on every bot process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue

from bot.keys import EVENT_QUEUE_KEY

log = logging.getLogger(__name__)

EVENTS_QUEUE_LABEL = "slack-events"

QUEUE_DEPTH = "alignbot_queue_depth"
REDIS_UP = "alignbot_redis_up"
_DEPTH_HELP = "Jobs waiting in each background queue"
_UP_HELP = "1 when Redis answered this scrape, else 0"


class QueueDepthCollector(Collector):
    """``alignbot_queue_depth{queue}`` for every RQ queue, and ``alignbot_redis_up``.

    ``known_queues`` are reported (as 0) even before their first job, so a dashboard has a
    series from the start; queues RQ has registered in Redis are found by themselves.
    """

    def __init__(self, client: Callable[[], redis.Redis], known_queues: Sequence[str] = ()) -> None:
        # A factory, so the bytes-answering client RQ needs is made on first scrape only.
        self._client_factory = client
        self._client: redis.Redis | None = None
        self.known_queues = tuple(known_queues)

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            QUEUE_DEPTH, "Jobs waiting in each background queue", labels=["queue"]
        )
        yield GaugeMetricFamily(REDIS_UP, "1 when Redis answered this scrape, else 0")

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(REDIS_UP, _UP_HELP)
        try:
            depths = self._depths()
        except (redis.RedisError, OSError) as error:
            log.debug("cannot read queue depths: %s", error)
            up.add_metric([], 0)
            yield up
            return
        depth = GaugeMetricFamily(QUEUE_DEPTH, _DEPTH_HELP, labels=["queue"])
        for name, count in sorted(depths.items()):
            depth.add_metric([name], count)
        up.add_metric([], 1)
        yield depth
        yield up

    def _depths(self) -> dict[str, int]:
        if self._client is None:
            self._client = self._client_factory()
        client = self._client
        queues = {name: Queue(name, connection=client) for name in self.known_queues}
        for queue in Queue.all(connection=client):
            queues.setdefault(queue.name, queue)
        depths = {name: queue.count for name, queue in queues.items()}
        # Slack events acked and waiting for an event process (see bot.transport.event_queue).
        depths[EVENTS_QUEUE_LABEL] = int(client.llen(EVENT_QUEUE_KEY))
        return depths
