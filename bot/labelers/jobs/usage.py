"""Model usage of one step job: calls, cache hits and tokens, added to the run's totals as the
job saves its progress, so a job that dies counts what it had saved and nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alignment.labeler import Labeler
from alignment.model_helper import ModelHelper
from bot.labelers.run_state import TrainingRun


@dataclass(frozen=True)
class Usage:
    model_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0

    def plus(self, other: Usage) -> Usage:
        return Usage(
            self.model_calls + other.model_calls,
            self.cache_hits + other.cache_hits,
            self.prompt_tokens + other.prompt_tokens,
            self.output_tokens + other.output_tokens,
        )

    def minus(self, other: Usage) -> Usage:
        return Usage(
            self.model_calls - other.model_calls,
            self.cache_hits - other.cache_hits,
            self.prompt_tokens - other.prompt_tokens,
            self.output_tokens - other.output_tokens,
        )

    def add_to(self, run: TrainingRun) -> None:
        run.model_calls += self.model_calls
        run.cache_hits += self.cache_hits
        run.prompt_tokens += self.prompt_tokens
        run.output_tokens += self.output_tokens


def token_counts(helpers: Sequence[ModelHelper]) -> tuple[int, int]:
    """(prompt, output) tokens the helpers report so far; helpers that count nothing add 0."""
    prompt = output = 0
    for helper in helpers:
        snapshot = getattr(getattr(helper, "usage", None), "snapshot", None)
        if callable(snapshot):
            counts = snapshot()
            prompt += int(counts.prompt_tokens)
            output += int(counts.output_tokens) + int(counts.thinking_tokens)
    return prompt, output


class UsageMeter:
    """Usage of one labeler (and its helpers' tokens) since the meter was made."""

    def __init__(self, labeler: Labeler, helpers: Sequence[ModelHelper]) -> None:
        self.labeler = labeler
        self.helpers = list(helpers)
        self._tokens_at_start = token_counts(self.helpers)
        self._counted = Usage()

    def total(self) -> Usage:
        stats = self.labeler.stats
        prompt, output = token_counts(self.helpers)
        return Usage(
            stats.model_calls,
            stats.cache_hits,
            prompt - self._tokens_at_start[0],
            output - self._tokens_at_start[1],
        )

    def uncounted(self) -> Usage:
        """Usage not yet added to the run."""
        return self.total().minus(self._counted)

    def counted(self, usage: Usage) -> None:
        """``usage`` (from ``uncounted``) is now part of the run's saved totals."""
        self._counted = self._counted.plus(usage)
