"""A mixture of experts against a single rule set, on rows that need opposite rules.

The tickets fall into two groups (by a hash of their key) that need opposite rules: a rule that
gets a topic right for one group gets it wrong for the other (``OppositeRulesModel``, the
rule-reading simulated model with that one change). A single rule set can only trade one
group's accuracy for the other's; two experts, each trained on its own group, need not. The
simulated embedding puts the two groups far apart, as a real embedding would put apart rows that
are about different things.

Both labelers train from scratch on the same rows with the same seed, each with its own model
and cache, and are measured on the same held-out rows, in one run.

    .venv/bin/python bench/labeler_experts.py            # 3 seeds, about a minute
    .venv/bin/python bench/labeler_experts.py --seeds 1  # quicker

Target: two experts beat one rule set on held-out accuracy.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rule_reading_model import RuleReadingModelMixin
from simulated_model import (
    KEY_PATTERN,
    LABEL_COLUMN,
    TASK_DESCRIPTION,
    TEXT_COLUMN,
    TICKET_LABELS,
    _unit_hash,
    make_ticket,
)

from alignment._providers.base import ModelHelper
from alignment.labeler import Labeler

BENCH_DIR = Path(__file__).resolve().parent


def group_of(key: str) -> int:
    return int(_unit_hash("group", key) < 0.5)


class OppositeRulesModel(RuleReadingModelMixin, ModelHelper):
    """A rule that helps one group misleads the other; texts embed by their group."""

    embedding_model = "simulated-embedding"

    def rule_helps(self, tag: str, key: str) -> bool:
        return super().rule_helps(tag, key) == (group_of(key) == 0)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            keys = KEY_PATTERN.findall(text)
            key = keys[-1] if keys else text
            # The group decides the direction; a little noise of the ticket's own on top.
            noise = [(_unit_hash("noise", key, str(i)) - 0.5) * 0.2 for i in range(4)]
            base = [1.0, 0.0] if group_of(key) else [0.0, 1.0]
            vectors.append(base + noise)
        return vectors


def tickets(count: int, seed: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        [make_ticket(index, seed) for index in range(offset, offset + count)],
        columns=[TEXT_COLUMN, LABEL_COLUMN],
    )


def held_out_accuracy(
    n_experts: int, train: pd.DataFrame, test: pd.DataFrame, seed: int, steps: int
) -> dict[str, Any]:
    model = OppositeRulesModel(latency=0.0, record_timeline=False)
    labeler = Labeler(
        input_names=[TEXT_COLUMN],
        label_name=LABEL_COLUMN,
        label_values=list(TICKET_LABELS),
        task_description=TASK_DESCRIPTION,
        train_model_helper=model,
        eval_model_helper=model,
        hparams={"racing": True},
        max_concurrency=8,
        seed=seed,
        n_experts=n_experts,
    )
    checkpoint = labeler.initialize_checkpoint(train)
    for _ in range(steps):
        checkpoint = labeler.train_step(checkpoint, train)
    scorecard = labeler.get_scorecard(test, labeler.infer_checkpoint(checkpoint, test))
    return {
        "accuracy": scorecard["accuracy"],
        "calls": model.stats.calls,
        "experts": scorecard.get("experts", []),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeded runs of each")
    parser.add_argument("--steps", type=int, default=4, help="training steps per run")
    parser.add_argument("--train-rows", type=int, default=240)
    parser.add_argument("--test-rows", type=int, default=400)
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR / "out")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    runs: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        train = tickets(args.train_rows, seed)
        test = tickets(args.test_rows, seed, offset=args.train_rows)
        one = held_out_accuracy(1, train, test, seed, args.steps)
        two = held_out_accuracy(2, train, test, seed, args.steps)
        runs.append({"seed": seed, "one_rule_set": one, "two_experts": two})
        print(
            f"seed {seed}: held-out accuracy, one rule set {one['accuracy']:.3f} "
            f"({one['calls']} calls), two experts {two['accuracy']:.3f} ({two['calls']} calls)"
        )
    one_mean = sum(run["one_rule_set"]["accuracy"] for run in runs) / len(runs)
    two_mean = sum(run["two_experts"]["accuracy"] for run in runs) / len(runs)
    summary = {
        "seeds": len(runs),
        "steps": args.steps,
        "one_rule_set_accuracy": one_mean,
        "two_experts_accuracy": two_mean,
        "two_experts_win": two_mean > one_mean,
    }
    verdict = "MET" if summary["two_experts_win"] else "NOT MET"
    print(
        f"mean held-out accuracy over {len(runs)} seeds, {args.steps} steps each: "
        f"K=1 {one_mean:.3f}, K=2 {two_mean:.3f} (target: K=2 higher): {verdict}"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "labeler_experts.json").write_text(
        json.dumps({"summary": summary, "runs": runs}, indent=2)
    )
    return summary


if __name__ == "__main__":
    main()
