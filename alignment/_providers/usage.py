"""Per-helper usage counters, safe to update from many threads at once."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UsageSnapshot:
    """Counts at one moment; a plain value that can be logged, compared or stored as JSON.

    ``calls`` counts predict/predict_json calls; ``requests`` counts HTTP requests sent, which is
    higher when calls are retried or need extra requests to collect enough candidates. ``errors``
    counts calls that ended in an exception. Token counts are what the service reported; services
    that report nothing leave them at zero.
    """

    calls: int = 0
    requests: int = 0
    retries: int = 0
    errors: int = 0
    empty_answers: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


COUNTER_NAMES = frozenset(counter.name for counter in dataclasses.fields(UsageSnapshot))


@dataclass
class ModelUsage:
    """Running totals for one helper; the counters are those of :class:`UsageSnapshot`."""

    _totals: UsageSnapshot = field(default_factory=UsageSnapshot)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Add to several counters in one step, e.g. ``add(requests=1, prompt_tokens=12)``."""
        for name in counts:
            if name not in COUNTER_NAMES:
                raise AttributeError(f"no usage counter named {name!r}")
        with self._lock:
            totals = self._totals
            self._totals = dataclasses.replace(
                totals, **{name: getattr(totals, name) + amount for name, amount in counts.items()}
            )

    def snapshot(self) -> UsageSnapshot:
        # Snapshots are immutable, so the current one can be handed out as it is.
        with self._lock:
            return self._totals

    def as_dict(self) -> dict[str, int]:
        return self.snapshot().as_dict()
