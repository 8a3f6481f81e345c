"""A simulated LLM for the labeler benchmark, and the synthetic support tickets it knows.

Both labelers under comparison talk to the same simulated model: a fixed latency per call, answers
that depend only on the prompt, and counters (calls, calls in flight, classifications per rulebook)
measured where the calls land. Every example carries a key token (``ticket-<hex>``); its gold label
and whether the model gets it wrong are both decided by a hash of that key, so the two labelers see
identical model behaviour however they lay out or truncate their prompts.

This module uses the standard library only and never imports ``alignment``: the upstream runner
loads it inside the upstream package's own virtual environment, where ``SimulatedModelMixin`` is
mixed into upstream's ``ModelHelper`` instead of ours.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TICKET_LABELS: tuple[str, ...] = ("billing", "outage", "praise")
TASK_DESCRIPTION = "Which team should handle this support ticket?"
TEXT_COLUMN = "ticket"
LABEL_COLUMN = "team"

KEY_PATTERN = re.compile(r"\bticket-[0-9a-f]{10}\b")
# Every rule the model writes ends with a tag, so a classification prompt tells the model which
# rulebook (checkpoint) is being scored without knowing either labeler's prompt layout.
RULE_TAG_PATTERN = re.compile(r"\[rule ([0-9a-f]{8})\]")
_OPTION_LINE = re.compile(r"^\s*(\d+)\s*[:.)]\s+\S", re.MULTILINE)
# A prompt whose last line is a bare rule id ("r7:") wants the text of that rule.
_RULE_ID_SLOT = re.compile(r"r\d+:")

_TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "billing": ("invoice", "refund", "charged twice", "card", "receipt", "subscription", "price"),
    "outage": ("down", "timeout", "error 502", "cannot log in", "sync stopped", "slow", "crash"),
    "praise": ("thanks", "great support", "love the update", "quick fix", "helpful", "smooth"),
}
_FILLER_WORDS = (
    "the", "team", "yesterday", "our", "account", "since", "morning", "please", "again", "we",
    "noticed", "after", "update", "customer", "writes", "that", "it", "was", "and", "still",
)  # fmt: skip


def _unit_hash(*parts: str) -> float:
    """A deterministic number in [0, 1) for the given strings (stable across processes)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def gold_label(key: str, labels: Sequence[str] = TICKET_LABELS) -> str:
    """The true label of the example whose key token is ``key``."""
    return labels[int(_unit_hash("gold", key) * len(labels))]


def model_label(key: str, labels: Sequence[str] = TICKET_LABELS, error_rate: float = 0.4) -> str:
    """The label the simulated model answers for ``key``: wrong for about ``error_rate`` of keys."""
    truth = gold_label(key, labels)
    if _unit_hash("wrong", key) >= error_rate or len(labels) < 2:
        return truth
    others = [label for label in labels if label != truth]
    return others[int(_unit_hash("which", key) * len(others))]


def make_ticket(index: int, seed: int = 0, length: int = 300) -> tuple[str, str]:
    """Synthetic example ``index``: (about ``length`` characters of ticket text, gold label)."""
    key = "ticket-" + hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:10]
    label = gold_label(key)
    rng = random.Random(f"{seed}:{index}")
    words = [key + ":"]
    size = len(key) + 1
    vocabulary = _TOPIC_WORDS[label] + _FILLER_WORDS
    while True:
        word = rng.choice(vocabulary)
        if size + 1 + len(word) > length:
            return " ".join(words) + ".", label
        words.append(word)
        size += len(word) + 1


@dataclass
class CallStats:
    """Counters measured inside the simulated model; safe to update from many threads."""

    calls: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    # Classification calls per rulebook, a rulebook being the set of rule tags in the prompt.
    by_rulebook: Counter[frozenset[str]] = field(default_factory=Counter)
    # (start, end, kind) of every finished call, to show which kinds of call ran one at a time.
    timeline: list[tuple[float, float, str]] = field(default_factory=list)
    record_timeline: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self, kind: str, rulebook: frozenset[str] | None) -> float:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.by_kind[kind] += 1
            if rulebook is not None:
                self.by_rulebook[rulebook] += 1
        return time.perf_counter()

    def leave(self, kind: str, started: float) -> None:
        ended = time.perf_counter()
        with self._lock:
            self.in_flight -= 1
            if self.record_timeline:
                self.timeline.append((started, ended, kind))

    def reset(self) -> None:
        with self._lock:
            self.calls = self.in_flight = self.peak_in_flight = 0
            self.by_kind.clear()
            self.by_rulebook.clear()
            self.timeline.clear()

    def summary(self, current_rulebook: frozenset[str]) -> dict[str, Any]:
        """Plain-JSON counters; ``current_rulebook`` is the checkpoint the step started from."""
        with self._lock:
            others = {book: n for book, n in self.by_rulebook.items() if book != current_rulebook}
            return {
                "calls": self.calls,
                "peak_in_flight": self.peak_in_flight,
                "calls_by_kind": dict(sorted(self.by_kind.items())),
                "current_checkpoint_calls": self.by_rulebook.get(current_rulebook, 0),
                "candidates_scored": len(others),
                "candidate_calls": sum(others.values()),
                "kinds": _kind_profile(self.timeline),
            }


def _kind_profile(timeline: list[tuple[float, float, str]]) -> dict[str, dict[str, float]]:
    """Per kind of call: how many, most at once, and the seconds during which any was running.

    A kind whose busy seconds approach calls x latency ran one call at a time.
    """
    profile: dict[str, dict[str, float]] = {}
    for kind in sorted({kind for _, _, kind in timeline}):
        spans = sorted((start, end) for start, end, k in timeline if k == kind)
        events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
        running = peak = 0
        for _, step in events:
            running += step
            peak = max(peak, running)
        busy, cover_start, cover_end = 0.0, spans[0][0], spans[0][1]
        for start, end in spans[1:]:
            if start > cover_end:
                busy += cover_end - cover_start
                cover_start = start
            cover_end = max(cover_end, end)
        busy += cover_end - cover_start
        profile[kind] = {"calls": len(spans), "peak_in_flight": peak, "busy_seconds": busy}
    return profile


def prompt_kind(prompt: str) -> str:
    """What a prompt asks for, judged from its closing instruction and its last line.

    Kinds: ``classify`` (one label), ``choose`` (a number from a numbered list), ``rule`` (the text
    of a rule), ``advice`` (how to change a rule), ``feedback`` (why a prediction was wrong),
    ``other``. The cues cover the prompts of both labelers; the checks run from the most specific
    to the most general.
    """
    tail = prompt[-600:].lower()
    last_line = tail.rstrip().rsplit("\n", 1)[-1]
    if last_line.endswith("answer_") or "which label" in tail:
        return "classify"
    if len(_OPTION_LINE.findall(tail)) >= 2 and "number" in tail:
        return "choose"
    if (
        last_line.endswith(("observation:", "rule:"))
        or _RULE_ID_SLOT.fullmatch(last_line)
        or any(cue in tail for cue in ("improved version", "new labeling rule", "rewrite rule"))
    ):
        return "rule"
    if "how can we improve rule" in tail:
        return "advice"
    if any(cue in tail for cue in ("why is the correct", "explain", "why was")):
        return "feedback"
    return "other"


class SimulatedModelMixin:
    """A model stand-in: mix into a ``ModelHelper`` base class (ours or upstream's).

    ``predict`` sleeps ``latency`` seconds (outside any lock, so concurrent callers overlap like
    they would against a real service) and answers from the prompt alone. ``record_timeline``
    keeps the start and end of every call for the per-kind profile; memory measurements turn it
    off so that the model's own bookkeeping does not count against the labeler.
    """

    model_name = "simulated"

    def __init__(
        self,
        labels: Sequence[str] = TICKET_LABELS,
        latency: float = 0.2,
        error_rate: float = 0.4,
        record_timeline: bool = True,
    ) -> None:
        self.labels = tuple(labels)
        self.latency = latency
        self.error_rate = error_rate
        self.stats = CallStats(record_timeline=record_timeline)
        self.rules_written: list[str] = []
        self._rules_lock = threading.Lock()

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        kind = prompt_kind(prompt)
        rulebook = frozenset(RULE_TAG_PATTERN.findall(prompt)) if kind == "classify" else None
        started = self.stats.enter(kind, rulebook)
        try:
            if self.latency > 0:
                time.sleep(self.latency)
            answers = [
                _cut_at_stops(self.answer(prompt, kind, variant), stop_sequences)
                for variant in range(max(1, candidate_count))
            ]
        finally:
            self.stats.leave(kind, started)
        return answers if candidate_count > 1 else answers[0]

    def answer(self, prompt: str, kind: str, variant: int = 0) -> str:
        """The text the model answers for ``prompt`` of ``kind`` (no latency, not counted)."""
        if kind == "classify":
            return self._classify(prompt)
        if kind == "choose":
            options = _OPTION_LINE.findall(prompt[-2000:])
            return options[int(_unit_hash("choose", prompt, str(variant)) * len(options))]
        if kind == "rule":
            return self._write_rule(prompt, variant)
        if kind == "advice":
            return "Narrow the rule to the words that decided this ticket, and name them."
        if kind == "feedback":
            return (
                "The rulebook has no rule covering the words this ticket uses, so the nearest "
                "rule was applied although the ticket is about something else."
            )
        return json.dumps({"note": "simulated answer"})

    def _classify(self, prompt: str) -> str:
        keys = KEY_PATTERN.findall(prompt)
        if not keys:
            return self.labels[0]
        # The example being classified is the last one shown (earlier ones may be few-shot).
        return model_label(keys[-1], self.labels, self.error_rate)

    def _write_rule(self, prompt: str, variant: int) -> str:
        tag = hashlib.sha256(f"{prompt}\x1f{variant}".encode()).hexdigest()[:8]
        label = self.labels[int(_unit_hash("rule-label", tag) * len(self.labels))]
        words = ", ".join(_TOPIC_WORDS[label][:3]) if label in _TOPIC_WORDS else label
        with self._rules_lock:
            self.rules_written.append(tag)
        return f"The ticket mentions {words} or something close to it. [rule {tag}]"


def _cut_at_stops(text: str, stop_sequences: list[str] | None) -> str:
    """Truncate at the first stop sequence, as a real generation endpoint would."""
    cut = len(text)
    for stop in stop_sequences or []:
        position = text.find(stop) if stop else -1
        if position > 0:
            cut = min(cut, position)
    return text[:cut]
