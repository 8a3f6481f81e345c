"""Comparing two prompt versions: wall time against the concurrency limit, and what a cache saves.

One run of ``alignment.compare.compare_versions`` on 100 examples: both versions answer each
(200 calls) and every pair is judged in both orders (200 calls), on a simulated model that
sleeps a fixed latency per call. The limit is what perfect overlap would take:
``calls / concurrency x latency``; the ratio of the measured wall time to it is printed (goal:
within 1.2x). Then version B changes and the comparison runs again on the same answer cache:
only B's answers and the new pairs' verdicts may be paid for (A's 100 answers are reused).

    .venv/bin/python bench/compare.py                 # 100 examples, 0.2 s per call, 20 at once
    .venv/bin/python bench/compare.py --examples 10 --latency 0.01
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from alignment import compare
from alignment.model_helper import ModelHelper
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt

OUT_DIR = Path(__file__).resolve().parent / "out"
PRINCIPLES = ["Keep each use to one line.", "Include one creative use."]


class FixedLatencyModel(ModelHelper):
    """Sleeps ``latency`` per call (outside any lock), answers from the prompt alone."""

    model_name = "simulated-fixed-latency"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls = 0
        self.judge_calls = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str:
        judging = "<answer_1>" in prompt
        with self._lock:
            self.calls += 1
            self.judge_calls += judging
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            time.sleep(self.latency)
        finally:
            with self._lock:
                self.in_flight -= 1
        if not judging:
            return f"answer to: {prompt}"
        first = re.search(r"<answer_1>\n(.*?)\n</answer_1>", prompt, re.DOTALL)
        winner = "1" if first and "creative" in first.group(1) else "2"
        return json.dumps({"winner": winner, "principles": [2], "reason": "more creative"})


def version(model: FixedLatencyModel, template: str) -> AlignableSingleRun:
    data = ConstitutionalPrompt(preamble=template, original_preamble=template)
    data.principles = list(PRINCIPLES)
    return AlignableSingleRun(model, data=data)


def run(examples: int, latency: float, concurrency: int) -> dict[str, Any]:
    model = FixedLatencyModel(latency)
    items = [compare.Example({"item": f"thing {n}"}, id=f"e{n}") for n in range(examples)]
    cache = compare.InMemoryResponseCache()
    a = version(model, "Give three uses for {item}.")
    b = version(model, "Give three uses for {item}, one of them creative.")
    started = time.perf_counter()
    first = compare.compare_versions(a, b, items, model, max_concurrency=concurrency, cache=cache)
    wall = time.perf_counter() - started
    calls = model.calls
    limit = calls / concurrency * latency

    changed = version(model, "Give three uses for {item}, one of them creative and safe.")
    before = model.calls
    second = compare.compare_versions(
        a, changed, items, model, max_concurrency=concurrency, cache=cache
    )
    return {
        "examples": examples,
        "latency_s": latency,
        "concurrency": concurrency,
        "first": {
            "calls": calls,
            "judge_calls": first.calls.judge_made,
            "wall_s": round(wall, 3),
            "limit_s": round(limit, 3),
            "ratio_to_limit": round(wall / limit, 3) if limit else None,
            "peak_in_flight": model.peak_in_flight,
            "b_better": first.b_better,
        },
        "second_after_b_changed": {
            "calls": model.calls - before,
            **second.calls.to_dict(),
            "expected_calls": 3 * examples,
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    parser.add_argument("--concurrency", type=int, default=20, help="model calls at once")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    summary = run(args.examples, args.latency, args.concurrency)
    first, second = summary["first"], summary["second_after_b_changed"]
    print(
        f"{args.examples} examples x 2 versions + {first['judge_calls']} judge calls = "
        f"{first['calls']} calls, {args.concurrency} at once, {args.latency} s each"
    )
    print(
        f"wall {first['wall_s']:.2f} s, limit {first['limit_s']:.2f} s "
        f"(calls / concurrency x latency): {first['ratio_to_limit']}x the limit "
        f"(goal <= 1.2x); peak in flight {first['peak_in_flight']}"
    )
    print(
        f"after B changed: {second['calls']} calls ({second['answers_made']} answers, "
        f"{second['judge_made']} verdicts), {second['answers_cached']} answers reused; "
        f"expected {second['expected_calls']} (B's answers + both orders' verdicts)"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "compare.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
