"""Histograms kept in Redis, so every process (bot, event process, worker) adds to one total.

Model calls and training jobs mostly happen in RQ workers and event processes, which serve no
``/metrics`` of their own and may be replaced at any time; counters in their memory would never be
scraped, and would be lost with them. So these observations are written to a Redis hash (one
``HINCRBY`` per bucket, in one round trip), and every bot process reads the hash when scraped.

Such families are totals for the whole deployment: every bot process reports the same values, so
aggregate them across instances with ``max``, not ``sum``.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence

import redis
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

_SEPARATOR = "\x1e"  # between a label set and the field it holds; never in a label value


class SharedHistogram:
    """One histogram family whose counts live in the Redis hash ``key``."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        name: str,
        documentation: str,
        label_names: Sequence[str],
        buckets: Sequence[float],
    ) -> None:
        if list(buckets) != sorted(buckets) or not buckets:
            raise ValueError("buckets must be a non-empty ascending sequence")
        self.client = client
        self.key = key
        self.name = name
        self.documentation = documentation
        self.label_names = tuple(label_names)
        self.buckets = tuple(float(b) for b in buckets if not math.isinf(b))

    def observe(self, labels: Sequence[str], seconds: float) -> None:
        """Count one observation; raises ``redis.RedisError`` when Redis cannot be reached."""
        if len(labels) != len(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {tuple(labels)}")
        label_key = json.dumps([str(label) for label in labels])
        # Each observation lands in one bucket (the first whose bound holds it); the cumulative
        # counts Prometheus wants are summed when read.
        bucket = bisect.bisect_left(self.buckets, seconds)
        pipe = self.client.pipeline(transaction=False)
        pipe.hincrby(self.key, f"{label_key}{_SEPARATOR}b{bucket}", 1)
        pipe.hincrbyfloat(self.key, f"{label_key}{_SEPARATOR}sum", max(0.0, seconds))
        pipe.execute()

    def read(self) -> dict[tuple[str, ...], tuple[list[int], float]]:
        """Per label set: counts per bucket (the last one is +Inf, not cumulative) and the sum."""
        raw = self.client.hgetall(self.key)
        found: dict[tuple[str, ...], tuple[list[int], float]] = {}
        counts: dict[tuple[str, ...], list[int]] = defaultdict(
            lambda: [0] * (len(self.buckets) + 1)
        )
        sums: dict[tuple[str, ...], float] = defaultdict(float)
        for field, value in raw.items():
            field_text = field.decode() if isinstance(field, bytes) else str(field)
            label_key, _, slot = field_text.rpartition(_SEPARATOR)
            labels = tuple(json.loads(label_key))
            if slot == "sum":
                sums[labels] = float(value)
            elif slot.startswith("b") and slot[1:].isdigit() and int(slot[1:]) <= len(self.buckets):
                counts[labels][int(slot[1:])] = int(value)
        for labels, per_bucket in counts.items():
            found[labels] = (per_bucket, sums[labels])
        return found

    def family(self, data: dict[tuple[str, ...], tuple[list[int], float]]) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.label_names)
        for labels, (per_bucket, total) in sorted(data.items()):
            cumulative, running = [], 0
            for bound, count in zip([*map(_bound, self.buckets), "+Inf"], per_bucket, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            family.add_metric(list(labels), cumulative, total)
        return family


def _bound(value: float) -> str:
    return repr(float(value))


class CountOf:
    """A counter family read off a histogram's observation counts.

    ``labels`` maps each label of the counter to the histogram label it is taken from (counts
    are summed over the labels left out); ``keep`` chooses which label sets count at all.
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labels: Mapping[str, str],
        keep: Callable[[Mapping[str, str]], bool] | None = None,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = dict(labels)
        self.keep = keep

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def family(
        self, histogram: SharedHistogram, data: dict[tuple[str, ...], tuple[list[int], float]]
    ) -> Metric:
        totals: dict[tuple[str, ...], int] = defaultdict(int)
        for labels, (per_bucket, _) in data.items():
            named = dict(zip(histogram.label_names, labels, strict=True))
            if self.keep is None or self.keep(named):
                totals[tuple(named[source] for source in self.labels.values())] += sum(per_bucket)
        family = CounterMetricFamily(self.name, self.documentation, labels=self.label_names)
        for labels, total in sorted(totals.items()):
            family.add_metric(list(labels), total)
        return family


class SharedHistogramCollector(Collector):
    """Exposes a shared histogram (and counters derived from it) at scrape time.

    When Redis cannot be reached the families are left out of that scrape rather than failing
    it: the process's own metrics still get through.
    """

    def __init__(self, histogram: SharedHistogram, counts: Sequence[CountOf] = ()) -> None:
        self.histogram = histogram
        self.counts = tuple(counts)

    def describe(self) -> Iterator[Metric]:
        # Names only, so registering the collector does not need Redis.
        yield HistogramMetricFamily(
            self.histogram.name, self.histogram.documentation, labels=self.histogram.label_names
        )
        for count in self.counts:
            yield CounterMetricFamily(count.name, count.documentation, labels=count.label_names)

    def collect(self) -> Iterator[Metric]:
        try:
            data = self.histogram.read()
        except redis.RedisError as error:
            log.debug("cannot read %s from Redis: %s", self.histogram.name, error)
            return
        yield self.histogram.family(data)
        for count in self.counts:
            yield count.family(self.histogram, data)
