"""Ack latency as the event rate rises, for one bot process and for two behind a round-robin
"load balancer", both on one Redis.

Each step sends signed events at a fixed rate for a few seconds, open loop: event ``i`` is due at
``start + i / rate`` whether or not earlier ones were answered, and its latency counts from when
it was due, so a bot that falls behind shows it (no coordinated omission). The rate rises step by
step until the p99 ack latency passes 1 second (or the last rate is reached).

The mix is what a bot in busy channels receives: mostly channel messages that are conversation
(acked and ignored after a Redis lookup), and a share (``--work-share``) of thumbs-up reactions
on a run's answer, each of which makes the bot ask the model (a local fake Gemini server,
``--model-seconds`` per answer) for suggested reasons and post them to the Slack emulator.

The load comes from a process of its own (many threads, keep-alive connections), so the
stand-ins for Slack and the model, busy in this process, do not slow the clock that measures.

    .venv/bin/python bench/event_load.py                 # 1 then 2 bot processes
    .venv/bin/python bench/event_load.py --quick         # fewer, shorter steps
    .venv/bin/python bench/event_load.py --bots 2 --rates 100,200,400

Everything runs on this machine: the bots, Redis, the load generator and the stand-ins share its
cores, so the rates are lower than separate machines would reach; compare one bot with two here,
not with a deployment.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from answered_run import seed_answered_run, suggesting_model  # noqa: E402

from bot.observability.metrics import BotMetrics  # noqa: E402
from bot.redis_conn import open_embedded  # noqa: E402
from tests.fakes.bot_harness import BotProcess, bot_environment  # noqa: E402
from tests.fakes.gemini_server import FakeGemini  # noqa: E402
from tests.fakes.slack_emulator import SlackEmulator  # noqa: E402
from tests.fakes.slack_signing import SlackSigner  # noqa: E402

LIMIT_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0
CHANNEL = "C0LOAD"
THREAD_TS = "1700000000.000100"
ANSWER_TS = "1700000000.000200"
DEFAULT_RATES = (25, 50, 100, 150, 200, 300, 400, 600, 800)
QUICK_RATES = (50, 100, 200, 400, 800)


# -- the load generator (its own process) -----------------------------------------------------


def event_for(number: int, step: int, work_share: float) -> dict[str, Any]:
    # Every n-th event is a reaction on the answer; the others are conversation.
    every = max(1, round(1 / work_share)) if work_share > 0 else 0
    if every and number % every == 0:
        return {
            "type": "reaction_added",
            "user": f"U{step:02d}{number:06d}",  # one person each: every reaction is new work
            "reaction": "+1",
            "item": {"type": "message", "channel": CHANNEL, "ts": ANSWER_TS},
            "event_ts": f"17000{step:02d}{number:05d}.000001",
        }
    return {
        "type": "message",
        "user": f"U0TALK{number % 7}",
        "text": f"lunch at {number % 12 + 1}?",
        "channel": CHANNEL,
        "ts": f"17{step:02d}{number:08d}.000100",
    }


class Sender(threading.Thread):
    """Takes due events off the queue and posts them over its own keep-alive connections."""

    def __init__(self, work: queue.Queue[Any], results: list[tuple[float, int, float]]) -> None:
        super().__init__(daemon=True)
        self.work, self.results = work, results
        self.connections: dict[str, http.client.HTTPConnection] = {}

    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        """The HTTP status of the answer; 0 when none came (refused, reset, timed out)."""
        parsed = urlparse(url)
        for attempt in range(2):  # a kept-alive connection may have been closed: reopen once
            connection = self.connections.get(parsed.netloc)
            if connection is None:
                connection = http.client.HTTPConnection(
                    parsed.netloc, timeout=REQUEST_TIMEOUT_SECONDS
                )
                self.connections[parsed.netloc] = connection
            try:
                connection.request("POST", parsed.path, body, headers)
                response = connection.getresponse()
                response.read()
                return response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                del self.connections[parsed.netloc]
                if attempt == 1:
                    return 0
        return 0

    def run(self) -> None:
        while True:
            item = self.work.get()
            if item is None:
                return
            due, url, body, headers = item
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            # How late the sender itself was: when every thread is busy, events leave late.
            late = max(0.0, time.perf_counter() - due)
            status = self.post(url, body, headers)
            self.results.append((time.perf_counter() - due, status, late))


def run_step(urls: list[str], rate: float, seconds: float, step: int, options: Any) -> dict:
    signer = SlackSigner()
    count = max(1, round(rate * seconds))
    prepared = []
    for number in range(count):
        signed = signer.event(
            event_for(number, step, options["work_share"]), event_id=f"Ev{step:02d}{number:07d}"
        )
        prepared.append((urls[number % len(urls)], signed.body, signed.headers))
    work: queue.Queue[Any] = queue.Queue()
    results: list[tuple[float, int, float]] = []
    senders = [Sender(work, results) for _ in range(options["threads"])]
    for sender in senders:
        sender.start()
    start = time.perf_counter() + 0.2
    for number, (url, body, headers) in enumerate(prepared):
        work.put((start + number / rate, url, body, headers))
    for _ in senders:
        work.put(None)
    for sender in senders:
        sender.join()
    latencies = sorted(latency for latency, _, _ in results)
    statuses = [status for _, status, _ in results]
    lateness = sorted(late for _, _, late in results)
    sending_seconds = (count - 1) / rate + max(late for _, _, late in results)
    return {
        "rate": rate,
        "sent": count,
        "no_answer": statuses.count(0),
        "statuses": {str(code): statuses.count(code) for code in sorted(set(statuses) - {0})},
        "achieved_rate": round(count / max(sending_seconds, 1e-9), 1),
        "p99_sender_late_ms": round(percentile(lateness, 0.99) * 1000, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


def percentile(ordered: list[float], share: float) -> float:
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def generate(options: dict[str, Any]) -> None:
    """Ramp up; one JSON line per step on stdout, stopping after p99 passes the limit."""
    for step, rate in enumerate(options["rates"]):
        result = run_step(options["urls"], rate, options["seconds"], step, options)
        print(json.dumps(result), flush=True)
        if result["p99_ms"] > LIMIT_SECONDS * 1000:
            return
        time.sleep(options["pause"])  # let the listener work of this step drain


# -- the set-up (this process) ----------------------------------------------------------------


def seed_run(redis_url: str) -> None:
    seed_answered_run(
        redis_url,
        channel=CHANNEL,
        thread_ts=THREAD_TS,
        answer_ts=ANSWER_TS,
        run_id="run0load",
        user="U0LOAD",
    )


def measure(bots: int, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    redis_connection = open_embedded(workdir / f"redis-{bots}")
    processes: list[BotProcess] = []
    model = suggesting_model(args.model_seconds)
    with SlackEmulator() as slack, FakeGemini(responder=model) as gemini:
        try:
            seed_run(redis_connection.url)
            for number in range(bots):
                env = bot_environment(
                    slack, redis_connection.url, workdir / f"data-{bots}", gemini.env
                )
                processes.append(BotProcess(env, workdir / f"bot-{bots}-{number}").start())
            for bot in processes:
                bot.wait_ready()
            options = {
                "urls": [bot.events_url for bot in processes],
                "rates": args.rates,
                "seconds": args.seconds,
                "pause": args.pause,
                "work_share": args.work_share,
                "threads": args.threads,
            }
            generator = subprocess.run(
                [sys.executable, __file__, "--generate", json.dumps(options)],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            steps = [json.loads(line) for line in generator.stdout.splitlines() if line]
            load_ended = time.monotonic()
            acked = sum(int(step["statuses"].get("200", 0)) for step in steps)
            settled = wait_all_settled(redis_connection.url, acked)
            print(
                f"{bots} bot process{'es' if bots > 1 else ''}: {settled} of {acked} acked events "
                f"taken up by the event processes (claimed for their listeners, or dropped as "
                f"noise) {time.monotonic() - load_ended:.1f} s after the load ended",
                flush=True,
            )
            return steps
        finally:
            for bot in processes:
                bot.stop()
            redis_connection.close()


def wait_all_settled(redis_url: str, acked: int, limit_seconds: float = 600) -> int:
    """Wait until event processes have decided about every acked event (applied, or dropped as
    noise), as counted in ``alignbot_event_wait_seconds``; how many they decided about."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    waits = BotMetrics(client).event_waits
    deadline = time.monotonic() + limit_seconds
    settled = 0
    while time.monotonic() < deadline:
        settled = sum(sum(per_bucket) for per_bucket, _ in waits.read().values())
        if settled >= acked:
            break
        time.sleep(0.2)
    client.close()
    return settled


def crossing(steps: list[dict[str, Any]]) -> str:
    for step in steps:
        if step["p99_ms"] > LIMIT_SECONDS * 1000:
            return f"p99 passes {LIMIT_SECONDS:g} s at {step['rate']:g} events/s"
    top = steps[-1]["rate"] if steps else 0
    return f"p99 stays under {LIMIT_SECONDS:g} s up to {top:g} events/s (the highest rate tried)"


def print_table(bots: int, steps: list[dict[str, Any]]) -> None:
    print(f"\n{bots} bot process{'es' if bots > 1 else ''}:")
    header = ["rate/s", "sent", "no answer", "sent at/s", "p50 ms", "p90 ms", "p99 ms", "max ms"]
    header.append("p99 late")
    print("  " + "".join(f"{h:>11}" for h in header) + "  statuses")
    for s in steps:
        values: tuple[Any, ...] = (s["rate"], s["sent"], s["no_answer"], s["achieved_rate"])
        values += (s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"], s["p99_sender_late_ms"])
        statuses = " ".join(f"{code}:{count}" for code, count in s["statuses"].items())
        print("  " + "".join(f"{v:>11}" for v in values) + f"  {statuses}")
    print(f"  {crossing(steps)}")
    behind = [s["rate"] for s in steps if s["achieved_rate"] < 0.95 * s["rate"]]
    if behind:
        print(
            "  the load itself fell behind at "
            + ", ".join(f"{r:g}/s" for r in behind)
            + ": there, latency includes time the sender was late (it counts from when due)"
        )


def main() -> int:
    if sys.argv[1:2] == ["--generate"]:
        generate(json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--bots", type=int, choices=(1, 2), help="only this many bot processes")
    parser.add_argument("--rates", help="comma-separated events per second, rising")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each step")
    parser.add_argument("--pause", type=float, default=3.0, help="rest between steps")
    parser.add_argument("--work-share", type=float, default=0.1)
    parser.add_argument("--model-seconds", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=200, help="sending threads")
    parser.add_argument("--quick", action="store_true", help="3-second steps, fewer rates")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args()
    if args.rates:
        args.rates = [float(r) for r in args.rates.split(",")]
    else:
        args.rates = list(QUICK_RATES if args.quick else DEFAULT_RATES)
    if args.quick:
        args.seconds, args.pause = min(args.seconds, 3.0), min(args.pause, 2.0)
    report: dict[str, Any] = {"settings": {k: v for k, v in vars(args).items() if k != "json"}}
    with tempfile.TemporaryDirectory(prefix="alignbot-load-") as tmp:
        for bots in [args.bots] if args.bots else [1, 2]:
            steps = measure(bots, args, Path(tmp))
            report[f"{bots}_bots"] = {"steps": steps, "summary": crossing(steps)}
            print_table(bots, steps)
    print(f"\n{os.cpu_count()} CPU cores shared by the bots, Redis, the load and the stand-ins.")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
