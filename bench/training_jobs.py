"""Training through background jobs, timed in one run: overhead, cancel delay, recovery delay.

1. Overhead: three training steps (each measured on the test rows) run directly with the
   library, then the same training through ``start_training`` and RQ jobs run by a burst worker
   (Redis state, checkpoints, progress edits, report, plot). Prints both times and the ratio.
2. Cancel: a training whose model takes ``--latency`` s per call is cancelled mid-step; prints
   the seconds from the cancel to the run's end, and their ratio to the 10 s promise.
3. Recovery: an ``alignbot worker`` process is killed (its whole process group) during step 1
   with the default lease; a second worker is running. Prints the seconds from the kill until
   the step was queued again, and their ratio to the 60 s promise.

    .venv/bin/python bench/training_jobs.py                 # all three (about a minute)
    .venv/bin/python bench/training_jobs.py --skip-recovery # the first two (seconds)

Everything talks to local stand-ins: an embedded Redis, the Slack emulator, a pretend model.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alignment.data import split_dataset  # noqa: E402
from alignment.labeler import Labeler  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.labelers.jobs.cancel import request_cancel  # noqa: E402
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, install_runtime  # noqa: E402
from bot.labelers.jobs.start import start_training  # noqa: E402
from bot.labelers.jobs.worker import run_burst  # noqa: E402
from bot.labelers.run_state import CANCELLED, RUNNING, RunStore  # noqa: E402
from bot.redis_conn import RedisConnection, open_embedded  # noqa: E402
from bot.services import Services  # noqa: E402
from tests.alignment.labeler_world import RuleWorld, hate_frame, truth_of  # noqa: E402
from tests.bot.labelers.jobs.support import WORKSPACE, training_request  # noqa: E402
from tests.fakes.bot_harness import bot_environment, wait_until  # noqa: E402
from tests.fakes.gemini_server import FakeGemini, GeminiReply, prompt_text  # noqa: E402
from tests.fakes.http_server import RecordedRequest  # noqa: E402
from tests.fakes.slack_emulator import SlackEmulator  # noqa: E402
from tests.fakes.slack_signing import SIGNING_SECRET  # noqa: E402

CANCEL_PROMISE_SECONDS = 10.0
RECOVERY_PROMISE_SECONDS = 60.0


def services_for(
    slack: SlackEmulator, redis_url: str, data_dir: Path, world: RuleWorld
) -> Services:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "REDIS_URL": redis_url,
            "ALIGN_DATA_DIR": str(data_dir),
            "GEMINI_API_KEY": "unused",
            "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9",
        },
        dotenv_path=None,
    )
    services = Services(settings=settings, redis_connection=RedisConnection(redis_url))
    services.models[settings.model_spec] = world.model()
    return services


def overhead(
    slack: SlackEmulator, redis_url: str, data_dir: Path, rows: int, latency: float
) -> None:
    frame = hate_frame(rows)
    request = training_request(frame, steps=3, seed=3, max_concurrency=8)
    world = RuleWorld(truth=truth_of(frame), fallback="False", latency=latency)

    train, test = split_dataset(frame, "isHate", request.test_fraction, 3)
    labeler = Labeler(
        ["comment"],
        "isHate",
        [False, True],
        request.task_description,
        world.model(),
        world.model(),
        hparams=dict(request.hparams),
        max_concurrency=8,
        seed=3,
    )
    started = time.perf_counter()
    checkpoint = None
    for _ in range(3):
        checkpoint = labeler.train_step(checkpoint, train)
        labeler.get_scorecard(test, labeler.infer_checkpoint(checkpoint, test))
    direct = time.perf_counter() - started

    services = services_for(slack, redis_url, data_dir, world)
    runtime = TrainingRuntime(services, TrainingConfig())
    install_runtime(runtime)
    services.redis.flushall()
    started = time.perf_counter()
    start_training(services, WORKSPACE, request)
    run_burst(runtime)
    jobs = time.perf_counter() - started
    print(f"overhead: {rows} rows, 3 steps, {latency * 1000:.0f} ms per model call")
    print(f"  library directly      {direct:6.2f} s")
    print(f"  through RQ jobs       {jobs:6.2f} s")
    print(f"  ratio jobs / direct   {jobs / direct:6.2f}")


def cancel_delay(slack: SlackEmulator, redis_url: str, data_dir: Path, latency: float) -> None:
    frame = hate_frame(80)
    world = RuleWorld(truth=truth_of(frame), fallback="False", latency=latency)
    services = services_for(slack, redis_url, data_dir, world)
    runtime = TrainingRuntime(services, TrainingConfig())
    install_runtime(runtime)
    services.redis.flushall()
    handle = start_training(
        services, WORKSPACE, training_request(frame, steps=3, max_concurrency=4)
    )
    worker = threading.Thread(target=run_burst, args=(runtime,), daemon=True)
    worker.start()
    runs = RunStore(services.redis, WORKSPACE)
    wait_until(lambda: (run := runs.load(handle.run_id)) and run.status == RUNNING, 30)
    time.sleep(1.0)  # well into step 1
    asked = time.perf_counter()
    request_cancel(services.redis, WORKSPACE, "hate")
    wait_until(lambda: (run := runs.load(handle.run_id)) and run.status == CANCELLED, 60, 0.01)
    took = time.perf_counter() - asked
    worker.join(30)
    print(f"cancel: {latency * 1000:.0f} ms per model call, 4 calls at a time")
    print(f"  cancel to run ended   {took:6.2f} s")
    print(f"  ratio to the 10 s promise {took / CANCEL_PROMISE_SECONDS:6.3f}")


def recovery_delay(slack: SlackEmulator, redis_url: str, data_dir: Path) -> None:
    frame = hate_frame(60)
    world = RuleWorld(truth=truth_of(frame), fallback="False")

    def slow(request: RecordedRequest) -> GeminiReply:
        return GeminiReply(text=world.answer(prompt_text(request)), delay=0.3)

    with FakeGemini(responder=slow) as gemini, tempfile.TemporaryDirectory() as logs:
        env = {**bot_environment(slack, redis_url, data_dir, gemini.env), "PYTHONPATH": str(REPO)}

        def worker(name: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker"],
                env=env,
                cwd=logs,
                stdout=open(Path(logs) / f"{name}.log", "wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        services = services_for(slack, redis_url, data_dir, world)
        services.redis.flushall()
        runtime = TrainingRuntime(services, TrainingConfig())
        install_runtime(runtime)
        doomed = worker("first")
        handle = start_training(services, WORKSPACE, training_request(frame, steps=2))
        runs = RunStore(services.redis, WORKSPACE)
        wait_until(lambda: (run := runs.load(handle.run_id)) and run.status == RUNNING, 60)
        job_before = runs.load(handle.run_id).job_id  # type: ignore[union-attr]
        spare = worker("second")
        time.sleep(2.0)
        os.killpg(doomed.pid, signal.SIGKILL)
        killed = time.perf_counter()
        wait_until(
            lambda: (run := runs.load(handle.run_id)) and run.job_id != job_before, 120, 0.05
        )
        took = time.perf_counter() - killed
        os.killpg(spare.pid, signal.SIGTERM)
        spare.wait(30)
    print(
        f"recovery: default lease {TrainingConfig().lease_seconds:.0f} s, reaper every "
        f"{TrainingConfig().reap_interval_seconds:.0f} s"
    )
    print(f"  kill to step queued again {took:6.2f} s")
    print(f"  ratio to the 60 s promise {took / RECOVERY_PROMISE_SECONDS:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per model call")
    parser.add_argument("--cancel-latency", type=float, default=0.5)
    parser.add_argument("--skip-recovery", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, SlackEmulator() as slack:
        embedded = open_embedded(Path(data) / "redis")
        try:
            overhead(slack, embedded.url, Path(data), args.rows, args.latency)
            cancel_delay(slack, embedded.url, Path(data), args.cancel_latency)
            if not args.skip_recovery:
                recovery_delay(slack, embedded.url, Path(data))
        finally:
            install_runtime(None)
            embedded.close()


if __name__ == "__main__":
    main()
