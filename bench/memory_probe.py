"""Peak resident memory of loading, splitting and training on one large CSV.

Run in a fresh process by ``labeler_speed.py`` so that nothing the benchmark itself holds counts
against the labeler. Prints one JSON line: resident memory after each stage and the peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path
from typing import Any

import psutil


def peak_resident_bytes() -> int:
    """The high-water mark of this process's resident memory.

    ``VmHWM`` belongs to the current address space, so unlike ``ru_maxrss`` it cannot include
    the parent's memory when this process was started by a fork followed by exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux kibibytes
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure(
    csv_path: Path, latency: float, concurrency: int, seed: int, score_on_test: bool
) -> dict[str, Any]:
    """Load, split and train as the labeler CLI does: the step scores candidates on the labeler's
    own validation sample of the training rows. ``score_on_test`` passes the whole test split
    as the validation frame instead (every candidate is then scored on all of it)."""
    process = psutil.Process()
    stages = {"started": process.memory_info().rss}
    # Imported here so their cost shows up as a stage of its own.
    from our_runner import time_train_step
    from simulated_model import LABEL_COLUMN, TEXT_COLUMN

    from alignment.data import DatasetLimits, load_dataset, split_dataset

    stages["imported"] = process.memory_info().rss
    size = csv_path.stat().st_size
    frame = load_dataset(
        csv_path, [TEXT_COLUMN], LABEL_COLUMN, DatasetLimits(max_bytes=max(size, 1) + 1)
    )
    stages["loaded"] = process.memory_info().rss
    train, test = split_dataset(frame, LABEL_COLUMN, test_fraction=0.2, seed=seed)
    stages["split"] = process.memory_info().rss
    validation = test if score_on_test else None
    step = time_train_step(train, validation, latency, concurrency, seed, record_timeline=False)
    stages["trained"] = process.memory_info().rss
    return {
        "rows": len(frame),
        "file_bytes": size,
        "train_rows": len(train),
        "test_rows": len(test),
        "scored_on": "the whole test split" if score_on_test else "the labeler's validation sample",
        "stage_rss_bytes": stages,
        "peak_rss_bytes": peak_resident_bytes(),
        "step": step,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score-on-test", action="store_true")
    args = parser.parse_args()
    result = measure(args.csv, args.latency, args.concurrency, args.seed, args.score_on_test)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
