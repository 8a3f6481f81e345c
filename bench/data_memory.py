"""Memory and speed of loading and splitting a large labelled CSV.

Writes 100,000 rows of about 300 characters to a temporary file, then loads and splits it with
``alignment.data`` and prints the peak resident memory against the 500 MB budget, and the load
time as a ratio to a bare ``pandas.read_csv`` of the same file (which checks nothing).

Run: .venv/bin/python bench/data_memory.py [rows]
"""

from __future__ import annotations

import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from alignment.data import describe_split, load_dataset, split_dataset

BUDGET_MB = 500
WORDS = [
    "the",
    "a",
    "service",
    "was",
    "slow",
    "fast",
    "rude",
    "kind",
    "refund",
    "late",
    "broken",
    "great",
    "support",
    "never",
    "again",
]


def write_rows(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment", "label"])
        for row in range(rows):
            text = " ".join(rng.choice(WORDS) for _ in range(60))[:300]
            writer.writerow([row, text, rng.choice(["billing", "outage", "praise", "other"])])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_rows(path, rows)
        size_mb = path.stat().st_size / (1024 * 1024)
        before = peak_rss_mb()
        started = time.perf_counter()
        frame = load_dataset(path, ["comment"], "label")
        train, test = split_dataset(frame, "label", 0.2, seed=0)
        ours = time.perf_counter() - started
        peak = peak_rss_mb()
        started = time.perf_counter()
        pd.read_csv(path, usecols=["comment", "label"])
        bare = time.perf_counter() - started
    print(f"{rows:,} rows, {size_mb:.1f} MB file")
    print(describe_split(train, test, "label"))
    print(f"peak resident memory: {peak:.0f} MB (before loading: {before:.0f} MB)")
    print(f"peak / budget ({BUDGET_MB} MB): {peak / BUDGET_MB:.2f}")
    print(f"load+split time / bare pandas.read_csv time: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
