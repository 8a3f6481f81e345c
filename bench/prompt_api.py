"""Prompt API speed: ``GET /api/v1/prompts/{name}`` against ``/healthz`` on the same server.

One ``alignbot serve`` process (as deployed) on an embedded Redis and the Slack emulator, with a
prompt of several versions, principles, labels and model settings saved, and an API key made.
``--clients`` clients (20 by default), each on its own keep-alive connection, request as fast
as they are answered, in alternating rounds: ``/healthz`` (no Redis), then the prompt by label
(key lookup, rate-limit count and prompt reads in Redis), and again. It prints requests per
second, p50 and p99 latency of each, and the ratio of the p99s measured in this one run (the
goal: the prompt under 10 ms at p99 and within 2x of ``/healthz``).

    .venv/bin/python bench/prompt_api.py                     # 2 rounds of 4,000 requests each
    .venv/bin/python bench/prompt_api.py --requests 1000     # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.api.keys import ApiKeyStore  # noqa: E402
from bot.keys import Workspace  # noqa: E402
from bot.prompts.labels import LabelStore  # noqa: E402
from bot.prompts.store import PromptStore  # noqa: E402
from bot.prompts.versions import configure  # noqa: E402
from bot.redis_conn import open_embedded  # noqa: E402
from tests.fakes.bot_harness import BotProcess, bot_environment  # noqa: E402
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator  # noqa: E402

PROMPT_PATH = "/api/v1/prompts/uses?label=production"
TEMPLATE = (
    "You help people find new uses for everyday things. Give three uses for {item} that a "
    "person at {place} could try today, one line each, the most surprising one first."
)


def seed(redis_url: str) -> str:
    """A prompt as a team would leave it after a few days in Slack; returns an API key."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    workspace = Workspace(TEAM_ID)
    store = PromptStore(client, workspace)
    store.create("uses", TEMPLATE, "U0BENCH")
    for number in range(2, 9):
        store.edit("uses", TEMPLATE + f" (revision {number})", "U0BENCH")
    configure(client, workspace, "uses", "U0BENCH", {"temperature": "0.2", "max_tokens": "300"})
    labels = LabelStore(client, workspace)
    labels.move("uses", "production", 6, "U0BENCH")
    labels.move("uses", "staging", 9, "U0BENCH")
    key = ApiKeyStore(client, workspace).create("bench", "U0BENCH")[1]
    client.close()
    return key


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def load(
    port: int, path: str, headers: dict[str, str], requests: int, clients: int
) -> tuple[list[float], float]:
    """``requests`` GETs of ``path`` from ``clients`` keep-alive connections at once: the
    latency of each (ms) and the wall time of the whole round (s)."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]
    failures: list[str] = []
    start = threading.Barrier(clients + 1)

    def take() -> bool:
        with lock:
            if remaining[0] <= 0:
                return False
            remaining[0] -= 1
            return True

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        start.wait()
        while take():
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - began) * 1000)
            if response.status != 200:
                failures.append(f"{path} answered {response.status}")
                break
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(failures[0])
    return latencies, elapsed


def measure(port: int, key: str, requests: int, clients: int, rounds: int) -> dict[str, Any]:
    targets: dict[str, tuple[str, dict[str, str]]] = {
        "healthz": ("/healthz", {}),
        "prompt": (PROMPT_PATH, {"Authorization": f"Bearer {key}"}),
    }
    results: dict[str, dict[str, Any]] = {
        name: {"latencies": [], "seconds": 0.0} for name in targets
    }
    # A warm-up of both, so connection pools and caches are filled before anything counts.
    for path, headers in targets.values():
        load(port, path, headers, clients * 10, clients)
    for _ in range(rounds):
        for name, (path, headers) in targets.items():
            latencies, seconds = load(port, path, headers, requests, clients)
            results[name]["latencies"] += latencies
            results[name]["seconds"] += seconds
    summary: dict[str, Any] = {}
    for name, result in results.items():
        latencies = result["latencies"]
        summary[name] = {
            "requests": len(latencies),
            "per_second": len(latencies) / result["seconds"],
            "p50_ms": percentile(latencies, 0.5),
            "p99_ms": percentile(latencies, 0.99),
        }
    summary["p99_ratio"] = summary["prompt"]["p99_ms"] / summary["healthz"]["p99_ms"]
    return summary


def report(summary: dict[str, Any], clients: int, write: Callable[[str], None] = print) -> None:
    write(f"{clients} concurrent clients, keep-alive connections, one alignbot serve process")
    for name, label in (("healthz", "/healthz"), ("prompt", PROMPT_PATH)):
        row = summary[name]
        write(
            f"  {label:42} {row['per_second']:8.0f} req/s   p50 {row['p50_ms']:6.2f} ms   "
            f"p99 {row['p99_ms']:6.2f} ms   ({row['requests']} requests)"
        )
    ratio = summary["p99_ratio"]
    p99 = summary["prompt"]["p99_ms"]
    write(f"  p99 prompt / healthz: {ratio:.2f}x (goal: within 2x)")
    write(f"  prompt p99 {p99:.2f} ms (goal: under 10 ms): {'met' if p99 < 10 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="per endpoint per round")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as slack:
        workdir = Path(tmp)
        redis_connection = open_embedded(workdir / "redis")
        env = bot_environment(
            slack,
            redis_connection.url,
            workdir / "data",
            ALIGN_EVENT_PROCESSES="0",
            # Far above what the bench sends: it measures serving, not the limit.
            ALIGN_API_REQUESTS_PER_MINUTE=str(10**9),
            ALIGN_LOG_LEVEL="WARNING",
        )
        bot = BotProcess(env, workdir / "bot").start()
        try:
            key = seed(redis_connection.url)
            bot.wait_ready()
            summary = measure(int(env["PORT"]), key, args.requests, args.clients, args.rounds)
        finally:
            with contextlib.suppress(Exception):
                bot.stop()
            redis_connection.close()
    report(summary, args.clients)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
