"""Per-helper usage counters, safe to update from many threads at once."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UsageSnapshot:
    """Counts at one moment; a plain value that can be logged, compared or stored as JSON."""

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


@dataclass
class ModelUsage:
    """Running totals for one helper.

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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Add to several counters in one step, e.g. ``add(requests=1, prompt_tokens=12)``."""
        with self._lock:
            for name, amount in counts.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise AttributeError(f"no usage counter named {name!r}")
                setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            return UsageSnapshot(
                calls=self.calls,
                requests=self.requests,
                retries=self.retries,
                errors=self.errors,
                empty_answers=self.empty_answers,
                prompt_tokens=self.prompt_tokens,
                output_tokens=self.output_tokens,
                thinking_tokens=self.thinking_tokens,
            )

    def as_dict(self) -> dict[str, int]:
        return self.snapshot().as_dict()
