"""Labeler benchmark: one train step of upstream model-alignment 0.3 and of ours, side by side.

Both labelers train on the same synthetic support tickets against the same simulated model (fixed
latency per call, wrong on about 40 % of tickets), starting from a checkpoint each made with its own
``initialize_checkpoint``; only ``train_step`` is timed. Then, in a fresh process, our data loader
and labeler handle a 100,000-row CSV while peak resident memory is measured.

    .venv/bin/python bench/labeler_speed.py            # full run (upstream takes about 2 minutes)
    .venv/bin/python bench/labeler_speed.py --quick    # smaller data set, same measurements

Targets: ours at least 20x faster than upstream at 200 ms and concurrency 32, with at most 1.1x
upstream's calls plus one pass of the current checkpoint over the validation rows; peak memory of
the 100,000-row run at most 500 MB. Raw numbers go to ``bench/out/labeler_speed.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from simulated_model import LABEL_COLUMN, TEXT_COLUMN, make_ticket
from upstream_runner import BENCH_DIR, run_upstream

SPEEDUP_TARGET = 20.0
CALL_ALLOWANCE = 1.1
MEMORY_TARGET_MB = 500.0
MEBIBYTE = 1024 * 1024
FULL_SIZE = (400, 100)  # (train rows, validation rows) the targets are set for
# Validation rows start far past the training rows so the two sets never share a ticket.
VALIDATION_OFFSET = 10_000_000


def write_tickets(path: Path, first: int, count: int, seed: int) -> Path:
    """Write ``count`` synthetic tickets to ``path`` (kept when it already exists)."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([TEXT_COLUMN, LABEL_COLUMN])
        writer.writerows(make_ticket(index, seed) for index in range(first, first + count))
    partial.replace(path)
    return path


def read_tickets(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def run_speed(args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    train_csv = write_tickets(
        out_dir / f"train-{args.train_rows}-{args.seed}.csv", 0, args.train_rows, args.seed
    )
    validation_csv = write_tickets(
        out_dir / f"validation-{args.validation_rows}-{args.seed}.csv",
        VALIDATION_OFFSET,
        args.validation_rows,
        args.seed,
    )
    results: dict[str, Any] = {
        "latency": args.latency,
        "concurrency": args.concurrency,
        "train_rows": args.train_rows,
        "validation_rows": args.validation_rows,
    }
    if not args.skip_upstream:
        print("Running one upstream train step (calls run one at a time) ...", flush=True)
        log = out_dir / "upstream.log"
        log.write_text("")
        results["upstream"] = run_upstream(train_csv, validation_csv, args.latency, args.seed, log)
    print("Running one train step of ours ...", flush=True)
    from our_runner import time_train_step  # imports alignment: only needed from here on

    results["ours"] = time_train_step(
        read_tickets(train_csv),
        read_tickets(validation_csv),
        args.latency,
        args.concurrency,
        args.seed,
    )
    return results


def run_memory(args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    csv_path = write_tickets(
        out_dir / f"memory-{args.memory_rows}-{args.seed}.csv", 0, args.memory_rows, args.seed
    )
    print(f"Measuring memory on {args.memory_rows:,} rows in a fresh process ...", flush=True)
    command = [
        sys.executable,
        str(BENCH_DIR / "memory_probe.py"),
        f"--csv={csv_path}",
        f"--latency={args.memory_latency}",
        f"--concurrency={args.concurrency}",
        f"--seed={args.seed}",
        *(["--score-on-test"] if args.memory_score_on_test else []),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{finished.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def speed_report(results: dict[str, Any]) -> list[str]:
    ours, upstream = results["ours"], results.get("upstream")
    sides = [("upstream 0.3", upstream), ("ours", ours)] if upstream else [("ours", ours)]
    lines = [
        f"One train step: {results['train_rows']} train rows, {results['validation_rows']} "
        f"validation rows, {results['latency'] * 1000:.0f} ms per call, "
        f"our concurrency {results['concurrency']}",
        "",
        f"{'':34}" + "".join(f"{name:>14}" for name, _ in sides),
    ]

    def row(title: str, cell: Any) -> None:
        lines.append(f"{title:34}" + "".join(f"{cell(side):>14}" for _, side in sides))

    row("wall time (s)", lambda side: f"{side['wall_seconds']:.2f}")
    row("model calls", lambda side: f"{side['calls']:,}")
    kinds = sorted({kind for _, side in sides for kind in side["calls_by_kind"]})
    for kind in kinds:
        row(f"  {kind}", lambda side, kind=kind: f"{side['calls_by_kind'].get(kind, 0):,}")
    row("candidates scored", lambda side: f"{side['candidates_scored']:,}")
    row("calls scoring candidates", lambda side: f"{side['candidate_calls']:,}")
    row("calls with the current checkpoint", lambda side: f"{side['current_checkpoint_calls']:,}")
    row("peak calls in flight", lambda side: f"{side['peak_in_flight']:,}")
    lines.append("")
    if upstream:
        speedup = upstream["wall_seconds"] / max(ours["wall_seconds"], 1e-9)
        allowance = CALL_ALLOWANCE * upstream["calls"] + results["validation_rows"]
        lines += [
            f"speed-up: {speedup:.1f}x (target >= {SPEEDUP_TARGET:.0f}x): "
            f"{_verdict(speedup >= SPEEDUP_TARGET)}",
            f"calls: ours/upstream = {ours['calls'] / max(upstream['calls'], 1):.2f}; "
            f"{ours['calls']:,} against an allowance of {CALL_ALLOWANCE} x {upstream['calls']:,} "
            f"+ {results['validation_rows']:,} (scoring the current checkpoint) = "
            f"{allowance:,.0f}: {_verdict(ours['calls'] <= allowance)}",
        ]
    if (results["train_rows"], results["validation_rows"]) != FULL_SIZE:
        lines.append(
            f"(The targets are set for the full size, {FULL_SIZE[0]} train and {FULL_SIZE[1]} "
            "validation rows; on smaller data the step's fixed chain of dependent calls and "
            "read-ahead weigh more.)"
        )
    lines += ["", "Where our step spent its time (per kind of call):"]
    for kind, profile in ours["kinds"].items():
        serial = " <- one at a time" if profile["peak_in_flight"] == 1 < profile["calls"] else ""
        lines.append(
            f"  {kind:10} {profile['calls']:>6,} calls, at most {profile['peak_in_flight']:>3} "
            f"at once, busy {profile['busy_seconds']:6.2f} s{serial}"
        )
    if ours.get("labeler_stats"):
        lines.append(f"Labeler's own counters: {json.dumps(ours['labeler_stats'], default=str)}")
    return lines


def memory_report(result: dict[str, Any], latency: float) -> list[str]:
    stages = ", ".join(
        f"{stage} {size / MEBIBYTE:.0f} MB" for stage, size in result["stage_rss_bytes"].items()
    )
    peak = result["peak_rss_bytes"] / MEBIBYTE
    step = result["step"]
    return [
        f"Memory: {result['rows']:,} rows ({result['file_bytes'] / MEBIBYTE:.1f} MB CSV) loaded "
        f"with alignment.data, split {result['train_rows']:,}/{result['test_rows']:,}, one train "
        f"step scored on {result['scored_on']} at {latency * 1000:.0f} ms per call "
        f"({step['calls']:,} calls, {step['wall_seconds']:.1f} s)",
        f"  resident memory: {stages}",
        f"  peak resident memory: {peak:.0f} MB (target <= {MEMORY_TARGET_MB:.0f} MB): "
        f"{_verdict(peak <= MEMORY_TARGET_MB)}",
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    parser.add_argument("--concurrency", type=int, default=32, help="our labeler's max calls")
    parser.add_argument("--quick", action="store_true", help="100 train / 20 validation rows")
    parser.add_argument("--train-rows", type=int, default=None)
    parser.add_argument("--validation-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-upstream", action="store_true", help="time ours only")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--memory-rows", type=int, default=100_000)
    parser.add_argument("--memory-latency", type=float, default=0.0)
    parser.add_argument(
        "--memory-score-on-test",
        action="store_true",
        help="score the memory run's candidates on the whole test split (20 %% of the rows)",
    )
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR / "out")
    args = parser.parse_args(argv)
    if args.train_rows is None:
        args.train_rows = 100 if args.quick else FULL_SIZE[0]
    if args.validation_rows is None:
        args.validation_rows = 20 if args.quick else FULL_SIZE[1]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    lines: list[str] = []
    if not args.memory_only:
        results["speed"] = run_speed(args, out_dir)
        lines += speed_report(results["speed"])
    if not args.skip_memory:
        results["memory"] = run_memory(args, out_dir)
        lines += ["", *memory_report(results["memory"], args.memory_latency)]
    (out_dir / "labeler_speed.json").write_text(json.dumps(results, indent=2, default=str))
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
