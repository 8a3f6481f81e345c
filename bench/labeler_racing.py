"""Racing against full evaluation: calls per step and the candidate each keeps, side by side.

For each seed: synthetic tickets, one starting checkpoint (``initialize_checkpoint``), then the
same ``train_step`` twice from it, once scoring every candidate on every validation row
(``racing=False``) and once racing, each labeler with its own model and cache so that neither
reuses the other's answers. The model reads the rules it is shown (``rule_reading_model``), so
candidates really differ. A step's choice counts as the same when both keep the same rules, or
when racing's choice is within one validation row of full evaluation's accuracy (both are scored
on every validation row).

    .venv/bin/python bench/labeler_racing.py             # 50 seeded steps, about a minute
    .venv/bin/python bench/labeler_racing.py --steps 5   # quicker

Targets: at most 0.6x full evaluation's calls, the same choice in at least 95 % of steps.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rule_reading_model import RuleReadingModelMixin
from simulated_model import LABEL_COLUMN, TASK_DESCRIPTION, TEXT_COLUMN, TICKET_LABELS, make_ticket

from alignment._providers.base import ModelHelper
from alignment.labeler import DEFAULT_HPARAMS, Labeler, LabelerCheckpoint

CALL_RATIO_TARGET = 0.6
SAME_CHOICE_TARGET = 0.95
BENCH_DIR = Path(__file__).resolve().parent


class RuleReadingModel(RuleReadingModelMixin, ModelHelper):
    """The rule-reading simulated model, seen by our labeler as one of its helpers."""


@dataclass
class StepOutcome:
    seed: int
    full_calls: int
    raced_calls: int
    full_score: float
    raced_score: float
    same_rules: bool
    validation_size: int

    @property
    def same_choice(self) -> bool:
        # Both scores are full-validation accuracies: one row is 1 / validation_size.
        row = 1 / self.validation_size
        return self.same_rules or abs(self.full_score - self.raced_score) <= row + 1e-9


def tickets(count: int, seed: int) -> pd.DataFrame:
    return pd.DataFrame(
        [make_ticket(index, seed) for index in range(count)], columns=[TEXT_COLUMN, LABEL_COLUMN]
    )


def labeler_for(model: RuleReadingModel, seed: int, racing: bool, concurrency: int) -> Labeler:
    return Labeler(
        input_names=[TEXT_COLUMN],
        label_name=LABEL_COLUMN,
        label_values=list(TICKET_LABELS),
        task_description=TASK_DESCRIPTION,
        train_model_helper=model,
        eval_model_helper=model,
        hparams={**DEFAULT_HPARAMS, "racing": racing},
        max_concurrency=concurrency,
        seed=seed,
    )


def one_step(seed: int, train_rows: int, concurrency: int, start_steps: int) -> StepOutcome:
    """The same step from the same checkpoint, by full evaluation and by racing."""
    train = tickets(train_rows, seed)
    warmup = RuleReadingModel(latency=0.0, record_timeline=False)
    starter = labeler_for(warmup, seed, racing=False, concurrency=concurrency)
    checkpoint: LabelerCheckpoint = starter.initialize_checkpoint(train)
    # A few steps first, so that the compared step starts from rules of varied quality.
    for _ in range(start_steps):
        checkpoint = starter.train_step(checkpoint, train)
    results = {}
    for racing in (False, True):
        model = RuleReadingModel(latency=0.0, record_timeline=False)
        labeler = labeler_for(model, seed, racing=racing, concurrency=concurrency)
        result = labeler.train_step(checkpoint, train)
        results[racing] = (model.stats.calls, result)
    (full_calls, full), (raced_calls, raced) = results[False], results[True]
    return StepOutcome(
        seed=seed,
        full_calls=full_calls,
        raced_calls=raced_calls,
        full_score=full.last_score or 0.0,
        raced_score=raced.last_score or 0.0,
        same_rules=full.rules_key() == raced.rules_key(),
        validation_size=full.history[-1]["validation_size"],
    )


def summarise(outcomes: list[StepOutcome]) -> dict[str, Any]:
    steps = len(outcomes)
    full = sum(outcome.full_calls for outcome in outcomes)
    raced = sum(outcome.raced_calls for outcome in outcomes)
    same = sum(outcome.same_choice for outcome in outcomes)
    ratio = raced / full if full else 0.0
    return {
        "steps": steps,
        "full_calls_per_step": full / steps if steps else 0.0,
        "raced_calls_per_step": raced / steps if steps else 0.0,
        "call_ratio": ratio,
        "same_rules": sum(outcome.same_rules for outcome in outcomes),
        "same_choice": same,
        "same_choice_share": same / steps if steps else 0.0,
        "calls_met": ratio <= CALL_RATIO_TARGET,
        "choice_met": steps > 0 and same / steps >= SAME_CHOICE_TARGET,
    }


def report(summary: dict[str, Any], outcomes: list[StepOutcome]) -> list[str]:
    def verdict(met: bool) -> str:
        return "MET" if met else "NOT MET"

    lines = [
        f"{summary['steps']} seeded steps, full evaluation and racing from the same checkpoint",
        f"  calls per step, full evaluation  {summary['full_calls_per_step']:8.1f}",
        f"  calls per step, racing           {summary['raced_calls_per_step']:8.1f}",
        f"  ratio racing / full              {summary['call_ratio']:8.3f}"
        f"  (target <= {CALL_RATIO_TARGET}): {verdict(summary['calls_met'])}",
        f"  same rules kept                  {summary['same_rules']:8d}",
        f"  same choice (or within one row)  {summary['same_choice']:8d}"
        f"  = {summary['same_choice_share']:.0%} (target >= {SAME_CHOICE_TARGET:.0%}): "
        f"{verdict(summary['choice_met'])}",
    ]
    differing = [outcome for outcome in outcomes if not outcome.same_choice]
    for outcome in differing:
        lines.append(
            f"  seed {outcome.seed}: full kept {outcome.full_score:.2f}, "
            f"racing kept {outcome.raced_score:.2f}"
        )
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=50, help="seeded steps to compare")
    parser.add_argument("--train-rows", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--start-steps", type=int, default=1, help="steps trained before the compared one"
    )
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR / "out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    outcomes = [
        one_step(seed, args.train_rows, args.concurrency, args.start_steps)
        for seed in range(args.first_seed, args.first_seed + args.steps)
    ]
    summary = summarise(outcomes)
    print("\n".join(report(summary, outcomes)))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "labeler_racing.json").write_text(
        json.dumps({"summary": summary, "steps": [vars(o) for o in outcomes]}, indent=2)
    )
    return summary


if __name__ == "__main__":
    main()
