"""What a comparison returns: per-example detail, counts, and how often each principle decided.

Everything is said from version B's side, since B is the change being considered: "B better on
x examples, worse on y, tied on z".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from alignment._compare.cached_calls import CallCounts

Outcome = Literal["A", "B", "tie"]


@dataclass(frozen=True)
class Example:
    """One saved input: the template's variable values, and optionally the ideal answer."""

    values: Mapping[str, str]
    ideal: str | None = None
    id: str = ""


@dataclass(frozen=True)
class Verdict:
    """One judgment of the pair, in A/B terms: the winner, the principles that decided it, why."""

    winner: Outcome
    principles: tuple[str, ...] = ()
    reason: str = ""
    usable: bool = True


@dataclass(frozen=True)
class ExampleComparison:
    """Both answers to one example and the two verdicts (A shown first, then B shown first).

    The pair counts for a version only when both orders agree; otherwise the judge was swayed by
    position, and it is a tie.
    """

    example: Example
    answer_a: str
    answer_b: str
    a_first: Verdict
    b_first: Verdict

    @property
    def outcome(self) -> Outcome:
        return self.a_first.winner if self.a_first.winner == self.b_first.winner else "tie"

    @property
    def deciding_principles(self) -> tuple[str, ...]:
        """The principles either verdict cited, when the verdicts agree on a winner."""
        if self.outcome == "tie":
            return ()
        cited = [*self.a_first.principles, *self.b_first.principles]
        return tuple(dict.fromkeys(cited))

    @property
    def reason(self) -> str:
        if self.a_first.winner == self.b_first.winner:
            return self.a_first.reason or self.b_first.reason
        return (
            f"the verdicts disagreed with the order swapped (A shown first: {self.a_first.winner}; "
            f"B shown first: {self.b_first.winner})"
        )


@dataclass(frozen=True)
class PrincipleTally:
    """How often one principle decided a verdict: for B, and against B."""

    principle: str
    b_won: int
    b_lost: int


@dataclass(frozen=True)
class ComparisonResult:
    examples: list[ExampleComparison]
    principles: list[str]
    calls: CallCounts = field(default_factory=CallCounts)

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.examples if item.outcome == outcome)

    @property
    def b_better(self) -> int:
        return self._count("B")

    @property
    def b_worse(self) -> int:
        return self._count("A")

    @property
    def tied(self) -> int:
        return self._count("tie")

    def losses(self) -> list[ExampleComparison]:
        """The examples where B lost, in example order."""
        return [item for item in self.examples if item.outcome == "A"]

    def principle_table(self) -> list[PrincipleTally]:
        """Every principle with the verdicts it decided, most deciding first (ties left out)."""
        won = dict.fromkeys(self.principles, 0)
        lost = dict.fromkeys(self.principles, 0)
        for item in self.examples:
            for principle in item.deciding_principles:
                side = won if item.outcome == "B" else lost
                side[principle] = side.get(principle, 0) + 1
                won.setdefault(principle, 0)
                lost.setdefault(principle, 0)
        tallies = [PrincipleTally(p, won[p], lost[p]) for p in won]
        return sorted(tallies, key=lambda t: -(t.b_won + t.b_lost))

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per example (for a CSV): variables, ideal, answers, verdicts, outcome."""
        names = list(dict.fromkeys(n for item in self.examples for n in item.example.values))
        rows = []
        for item in self.examples:
            row: dict[str, Any] = {"example": item.example.id}
            row.update({name: item.example.values.get(name, "") for name in names})
            row.update(
                {
                    "ideal": item.example.ideal or "",
                    "answer_a": item.answer_a,
                    "answer_b": item.answer_b,
                    "outcome": {"A": "B worse", "B": "B better", "tie": "tie"}[item.outcome],
                    "verdict_a_first": item.a_first.winner,
                    "verdict_b_first": item.b_first.winner,
                    "deciding_principles": " | ".join(item.deciding_principles),
                    "reason": item.reason,
                }
            )
            rows.append(row)
        return rows

    def summary(self) -> dict[str, Any]:
        return {
            "b_better": self.b_better,
            "b_worse": self.b_worse,
            "tied": self.tied,
            "calls": self.calls.to_dict(),
        }
