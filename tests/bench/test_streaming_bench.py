"""The streaming benchmark runs end to end and prints both paths with their ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "streaming.py"


def test_the_benchmark_prints_both_paths_and_their_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--words", "30", "--token-delay", "0.01", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = {}
    for label in ("first visible text (s)", "final message (s)"):
        match = re.search(rf"{re.escape(label)}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", done.stdout)
        assert match is not None, done.stdout + done.stderr
        whole, streamed, ratio = (float(value) for value in match.groups())
        assert whole > 0 and streamed > 0
        assert abs(ratio - streamed / whole) < 0.01
        rows[label] = (whole, streamed)
    # Each path's final message comes no earlier than its first visible text.
    assert all(streamed <= rows["final message (s)"][1] for _, streamed in rows.values())
