"""Ack latency of signed Slack events while the HTTP server is flooded, measured in one run.

One ``alignbot serve`` process (as deployed, with its event process) on an embedded Redis and
the Slack emulator. Signed events (channel chatter the bot looks at and ignores) are sent
``--concurrency`` at a time, twice: first alone, then while a separate flood process attacks
the same port with

- unsigned garbage: bodies with made-up types, JSON that is not JSON, forged ``ssl_check`` posts,
  from ``--garbage-threads`` threads as fast as they are answered;
- slow clients: ``--slow-clients`` sockets that send a request head a byte at a time, reopened
  whenever the server cuts them off;
- oversized bodies: requests declaring 3 MiB, of which only the first few KiB are ever sent.

It prints p50 and p99 ack latency of the signed events with and without the flood, their ratio,
and what the flood got from the server.

    .venv/bin/python bench/http_flood.py                    # 400 events each way, 4 at a time
    .venv/bin/python bench/http_flood.py --events 100       # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.redis_conn import open_embedded  # noqa: E402
from tests.fakes.bot_harness import BotProcess, bot_environment, http_get  # noqa: E402
from tests.fakes.slack_emulator import SlackEmulator  # noqa: E402
from tests.fakes.slack_signing import SlackSigner, send  # noqa: E402

CHANNEL = "C0BENCH"
OVERSIZED_BYTES = 3 * 1024 * 1024


def chatter(number: int) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": CHANNEL,
        "user": "U0BENCH",
        "text": f"just talking {number}",
        "ts": f"1700000000.{number:06d}",
    }


def signed_acks(url: str, first: int, count: int, concurrency: int) -> list[float]:
    """Send ``count`` signed events; the ack latency of each, in ms."""
    signer = SlackSigner()
    requests = [signer.event(chatter(n)) for n in range(first, first + count)]

    def one(request: Any) -> float:
        started = time.perf_counter()
        answer = send(url, request, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise RuntimeError(f"a signed event got {answer.status}: {answer.body[:200]}")
        return elapsed

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda _: http_get(url.replace("/slack/events", "/healthz")), range(8)))
        return list(pool.map(one, requests))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# --- the flood, run in a process of its own so it does not slow the measuring clock ---


def _garbage_bodies(rng: random.Random) -> list[tuple[str, str]]:
    kind = "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    return [
        ("application/json", json.dumps({"type": "event_callback", "event": {"type": kind}})),
        ("application/json", '{"type": "event_callback", "event": '),
        ("application/x-www-form-urlencoded", f"ssl_check=1&type={kind}"),
    ]


def _garbage(port: int, stop: threading.Event, statuses: Counter[int], seed: int) -> None:
    import http.client

    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        for content_type, body in _garbage_bodies(rng):
            try:
                connection.request("POST", "/slack/events", body, {"Content-Type": content_type})
                response = connection.getresponse()
                response.read()
                statuses[response.status] += 1
            except (OSError, http.client.HTTPException):
                statuses[0] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)


@contextlib.contextmanager
def _connected(port: int) -> Iterator[socket.socket | None]:
    """A connection to the bot, or None when it refuses one (it is gone, or its backlog full)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        yield None
        return
    with sock:
        yield sock


def _slow(port: int, stop: threading.Event, cut_off: Counter[str]) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1_000_000
    while not stop.is_set():
        with _connected(port) as sock:
            if sock is None:
                cut_off["slow client refused"] += 1
                stop.wait(0.2)
                continue
            for position in range(len(head)):
                try:
                    sock.send(head[position : position + 1])
                except OSError:
                    cut_off["slow client cut off"] += 1
                    break
                if stop.wait(0.2):
                    return


def _oversized(port: int, stop: threading.Event, statuses: Counter[int]) -> None:
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {OVERSIZED_BYTES}\r\n\r\n"
    ).encode()
    while not stop.is_set():
        with _connected(port) as sock:
            try:
                assert sock is not None, "refused"
                sock.sendall(head + b"x" * 4096)
                statuses[int(sock.recv(64).split()[1])] += 1
            except (OSError, IndexError, ValueError, AssertionError):
                statuses[0] += 1
        stop.wait(0.05)


def flood(port: int, garbage_threads: int, slow_clients: int) -> None:
    """Flood until stdin closes; then print what the server answered, as JSON."""
    stop = threading.Event()
    garbage: Counter[int] = Counter()
    oversized: Counter[int] = Counter()
    cut_off: Counter[str] = Counter()
    threads = [
        threading.Thread(target=_garbage, args=(port, stop, garbage, n), daemon=True)
        for n in range(garbage_threads)
    ]
    threads += [
        threading.Thread(target=_slow, args=(port, stop, cut_off), daemon=True)
        for _ in range(slow_clients)
    ]
    threads.append(threading.Thread(target=_oversized, args=(port, stop, oversized), daemon=True))
    for thread in threads:
        thread.start()
    print("flooding", flush=True)
    sys.stdin.read()
    stop.set()
    for thread in threads:
        thread.join(2)
    summary = {"garbage": dict(garbage), "oversized": dict(oversized), **cut_off}
    print(json.dumps(summary), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--garbage-threads", type=int, default=4)
    parser.add_argument("--slow-clients", type=int, default=30)
    parser.add_argument("--flood", type=int, help=argparse.SUPPRESS)  # the flood process
    args = parser.parse_args()
    if args.flood:
        flood(args.flood, args.garbage_threads, args.slow_clients)
        return 0

    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as slack:
        workdir = Path(tmp)
        redis_connection = open_embedded(workdir / "redis")
        env = bot_environment(slack, redis_connection.url, workdir / "data")
        bot = BotProcess(env, workdir / "bot").start()
        try:
            bot.wait_ready()
            quiet = signed_acks(bot.events_url, 0, args.events, args.concurrency)
            flooder = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--flood",
                    env["PORT"],
                    "--garbage-threads",
                    str(args.garbage_threads),
                    "--slow-clients",
                    str(args.slow_clients),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert flooder.stdin is not None and flooder.stdout is not None
            flooder.stdout.readline()
            time.sleep(2)  # every slow client connected and holding its socket
            flooded = signed_acks(bot.events_url, args.events, args.events, args.concurrency)
            flooder.stdin.close()
            summary = json.loads(flooder.stdout.readline() or "{}")
            flooder.wait(10)
        finally:
            with contextlib.suppress(Exception):
                bot.stop()
            redis_connection.close()

    print(f"signed events: {args.events} each way, {args.concurrency} at a time")
    print(
        f"  quiet:   p50 {percentile(quiet, 0.5):7.1f} ms   p99 {percentile(quiet, 0.99):7.1f} ms"
    )
    print(
        f"  flooded: p50 {percentile(flooded, 0.5):7.1f} ms   "
        f"p99 {percentile(flooded, 0.99):7.1f} ms"
    )
    print(f"  p99 flooded / quiet: {percentile(flooded, 0.99) / percentile(quiet, 0.99):.2f}x")
    print(
        f"flood ({args.garbage_threads} garbage threads, {args.slow_clients} slow clients, "
        f"3 MiB bodies): {json.dumps(summary)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
