"""Ack latency under load: the bot versus a Bolt app that does nothing, measured in one run.

Each app runs behind the same threaded HTTP server (cheroot, as deployed). The bot is
``alignbot serve`` as deployed: it acks each event and queues it in Redis, and the event process
it starts applies it.
The load is 500 signed ``reaction_added`` events, sent 20 at a time over real HTTP. For the bot
each event is a thumbs-up on a run's answer, so each one starts model work: the bot asks the
alignment model (a local fake Gemini server that takes 2 s per answer) for suggested reasons and
posts them to the Slack emulator. The benchmark waits until all 500 offers are posted, then
prints p50 and p99 ack latency for both apps and their ratio.

    .venv/bin/python bench/ack_latency.py             # 500 events, 20 at a time, 2 s model
    .venv/bin/python bench/ack_latency.py --events 100 --model-seconds 0.5   # quicker

Targets: the bot's p99 under 50 ms, and within 2x of the do-nothing app's p99.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from answered_run import seed_answered_run, suggesting_model  # noqa: E402

from bot.redis_conn import open_embedded  # noqa: E402
from tests.fakes.bot_harness import BotProcess, bot_environment, free_port, http_get, wait_until  # noqa: E402
from tests.fakes.gemini_server import FakeGemini  # noqa: E402
from tests.fakes.slack_emulator import SlackEmulator  # noqa: E402
from tests.fakes.slack_signing import SIGNING_SECRET, SlackSigner, send  # noqa: E402

P99_TARGET_MS = 50.0
RATIO_TARGET = 2.0
CHANNEL = "C0BENCH"
THREAD_TS = "1700000000.000100"
ANSWER_TS = "1700000000.000200"
WARM_UP_EVENTS = 40
WARM_UP_FEEDBACK = 20

NOOP_APP = """
import sys
from cheroot import wsgi
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from bot.transport.server import HTTP_THREADS, LISTEN_BACKLOG

port, secret, token, api_url = sys.argv[1:5]
app = App(signing_secret=secret, client=WebClient(token=token, base_url=api_url),
          process_before_response=False)
app.event("reaction_added")(lambda ack: ack())
handler = SlackRequestHandler(app)

def wsgi_app(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    return handler(environ, start_response)

server = wsgi.Server(("127.0.0.1", int(port)), wsgi_app, numthreads=HTTP_THREADS,
                     request_queue_size=LISTEN_BACKLOG)
server.safe_start()
"""


def seed_run(redis_url: str) -> None:
    seed_answered_run(
        redis_url,
        channel=CHANNEL,
        thread_ts=THREAD_TS,
        answer_ts=ANSWER_TS,
        run_id="run0bench",
        user="U0BENCH",
    )


def reaction(user: str, item_ts: str) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": "+1",
        "item": {"type": "message", "channel": CHANNEL, "ts": item_ts},
        "event_ts": "1700000001.000001",
    }


def fire_here(url: str, events: list[dict[str, Any]], concurrency: int) -> list[float]:
    """Send every event (signed) ``concurrency`` at a time; the ack latency of each, in ms."""
    signer = SlackSigner()
    # Event ids from the event's own fields: unique across the load processes of one run.
    requests = [
        signer.event(event, event_id=f"Ev{event['user']}{event['item']['ts']}") for event in events
    ]

    def one(request: Any) -> float:
        started = time.perf_counter()
        answer = send(url, request)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise RuntimeError(f"the app answered {answer.status}: {answer.body[:200]}")
        return elapsed

    def warm(_: int) -> None:
        # The load process's own first requests import and set up urllib in every thread;
        # a health probe or two per thread keeps that out of the measured acks.
        http_get(url.replace("/slack/events", "/healthz"))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(warm, range(concurrency * 2)))
        return list(pool.map(one, requests))


def fire(url: str, item_ts: str, users: str, count: int, concurrency: int) -> list[float]:
    """Run the load in a process of its own, so the stand-ins for Slack and the model (busy
    answering the bot in this process) do not slow the clock that measures the acks."""
    result = subprocess.run(
        [sys.executable, __file__, "--fire", url, item_ts, users, str(count), str(concurrency)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(value) for value in json.loads(result.stdout)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        # Where the slow acks were: the mean of each 50 events, in the order they were sent.
        "mean_ms_per_50_sent": [
            round(statistics.mean(latencies[i : i + 50]), 1) for i in range(0, len(latencies), 50)
        ],
    }


def measure_noop(
    events: int, concurrency: int, workdir: Path, slack: SlackEmulator
) -> dict[str, Any]:
    port = free_port()
    log = (workdir / "noop.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", NOOP_APP, str(port), SIGNING_SECRET, slack.bot_token, slack.api_url],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return http_get(f"{base}/healthz").status == 200
            except OSError:
                return False

        wait_until(ready, 30, what="the do-nothing app")
        url = f"{base}/slack/events"
        fire(url, "1.1", "U0W", WARM_UP_EVENTS, concurrency)
        latencies = fire(url, ANSWER_TS, "U", events, concurrency)
    finally:
        process.terminate()
        process.wait(10)
        log.close()
    return summary(latencies)


def measure_bot(
    events: int, concurrency: int, model_seconds: float, workdir: Path, slack: SlackEmulator
) -> dict[str, Any]:
    redis_connection = open_embedded(workdir / "redis")
    with FakeGemini(responder=suggesting_model(model_seconds)) as gemini:
        seed_run(redis_connection.url)
        env = bot_environment(slack, redis_connection.url, workdir / "data", gemini.env)
        bot = BotProcess(env, workdir / "bot").start().wait_ready()
        try:
            url = bot.events_url

            def offers() -> int:
                return len(
                    [
                        c
                        for c in slack.calls_to("chat.postMessage", ok_only=True)
                        if c.params.get("thread_ts") == THREAD_TS
                    ]
                )

            # Warm-up, not measured: reactions on a message that is no answer (acked, looked
            # up, ignored), then a few real ones, processed to the end, so that one-time set-up
            # in the bot (connection pools, the model client's first request) is behind us.
            fire(url, "1.1", "U0W", WARM_UP_EVENTS, concurrency)
            fire(url, ANSWER_TS, "U0WARM", WARM_UP_FEEDBACK, concurrency)
            wait_until(lambda: offers() >= WARM_UP_FEEDBACK, 60, 0.2, "the warm-up offers")
            warm = offers()

            started = time.perf_counter()
            latencies = fire(url, ANSWER_TS, "U", events, concurrency)
            sent = time.perf_counter() - started
            timeout = 60 + events * model_seconds
            wait_until(lambda: offers() - warm >= events, timeout, 0.2, f"{events} offers")
            processed_after = time.perf_counter() - started
            time.sleep(1)  # anything beyond one offer per event would show now
            result: dict[str, Any] = summary(latencies)
            result.update(
                processed=offers() - warm,
                model_calls=len(gemini.requests) - WARM_UP_FEEDBACK,
                peak_model_calls_in_flight=gemini.peak_in_flight,
                seconds_to_send=round(sent, 2),
                seconds_until_all_processed=round(processed_after, 2),
            )
            return result
        finally:
            bot.stop()
            redis_connection.close()


def main() -> int:
    if sys.argv[1:2] == ["--fire"]:
        url, item_ts, users, count, concurrency = sys.argv[2:7]
        events = [reaction(f"{users}{n:05d}", item_ts) for n in range(int(count))]
        print(json.dumps(fire_here(url, events, int(concurrency))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--model-seconds", type=float, default=2.0)
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="alignbot-ack-") as tmp, SlackEmulator() as slack:
        workdir = Path(tmp)
        noop = measure_noop(args.events, args.concurrency, workdir, slack)
        bot = measure_bot(args.events, args.concurrency, args.model_seconds, workdir, slack)
    ratio = bot["p99_ms"] / noop["p99_ms"] if noop["p99_ms"] else float("inf")
    report = {
        # Both apps share the machine with everything else running on it; a busy machine
        # slows both, which the ratio (measured in one run) is meant to see through.
        "load_average_1min_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "events": args.events,
        "concurrency": args.concurrency,
        "model_seconds": args.model_seconds,
        "do_nothing_app": noop,
        "alignbot": bot,
        "p99_ratio_bot_over_do_nothing": round(ratio, 2),
        "p50_ratio_bot_over_do_nothing": round(bot["p50_ms"] / noop["p50_ms"], 2),
    }
    print(json.dumps(report, indent=2))
    all_processed = bot["processed"] == args.events
    met = bot["p99_ms"] < P99_TARGET_MS and ratio <= RATIO_TARGET and all_processed
    print(
        f"alignbot p99 {bot['p99_ms']} ms (target < {P99_TARGET_MS}), "
        f"{ratio:.2f}x the do-nothing app's {noop['p99_ms']} ms (target <= {RATIO_TARGET}x); "
        f"processed {bot['processed']}/{args.events}: {'MET' if met else 'NOT MET'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
