"""Running training steps: ``alignbot worker``, and the runner inside ``alignbot serve``.

Both are RQ workers on the shared Redis with RQ's JSON serializer. They run each job in their
own process (RQ's SimpleWorker, no fork): killing a worker takes its step down with it, and the
step's lease then expires so another worker resumes it. ``serve`` runs steps itself only while
RQ's worker registry shows no dedicated worker alive, so one command still serves a small team
and adding workers takes the load off the bot. Every worker and ``serve`` also runs the reaper.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from rq.worker import SimpleWorker

from bot.labelers.jobs.reaper import ReaperThread, Watch
from bot.labelers.jobs.repeating import RepeatingTask
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, install_runtime
from bot.services import Services

log = logging.getLogger(__name__)

WORKER_NAME_PREFIX = "alignbot-worker-"
SERVE_NAME_PREFIX = "alignbot-serve-"
# A dedicated worker heartbeats this often (also while busy), and counts as alive for a few
# missed beats; RQ's own heartbeats are too rare while a long job runs.
HEARTBEAT_SECONDS = 5.0
ALIVE_WITHIN_SECONDS = 20.0
WORKER_TTL_SECONDS = 60
SERVE_POLL_SECONDS = 1.0


def _unique_name(prefix: str) -> str:
    return f"{prefix}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class TrainingWorker(SimpleWorker):
    """An RQ worker for training steps that runs each job in its own process."""

    def __init__(self, runtime: TrainingRuntime, name: str) -> None:
        super().__init__(
            [runtime.queue()],
            name=name,
            connection=runtime.rq_redis,
            serializer=JSONSerializer,
            worker_ttl=WORKER_TTL_SECONDS,
        )
        self.runtime = runtime

    def handle_warm_shutdown_request(self) -> None:
        super().handle_warm_shutdown_request()
        # The running step hands itself back to the queue instead of finishing first.
        self.runtime.stopping.set()

    def execute_job(self, job: Job, queue: Queue) -> None:
        super().execute_job(job, queue)
        if self.runtime.stopping.is_set():
            # RQ's own flag for "finish this job, take no more": a stopping process must not
            # pick up the step it just handed back.
            self._stop_requested = True


class ThreadedTrainingWorker(TrainingWorker):
    """A worker living in a thread of another program (``serve``, tests): it leaves signal
    handling to that program and enforces job timeouts with a timer instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def dedicated_worker_alive(runtime: TrainingRuntime) -> bool:
    """Whether RQ's registry shows a dedicated worker on the queue that heartbeat recently."""
    cutoff = datetime.now(UTC) - timedelta(seconds=ALIVE_WITHIN_SECONDS)
    for worker in SimpleWorker.all(queue=runtime.queue(), serializer=JSONSerializer):
        if worker.name.startswith(SERVE_NAME_PREFIX):
            continue
        if worker.last_heartbeat is not None and worker.last_heartbeat >= cutoff:
            return True
    return False


def run_burst(runtime: TrainingRuntime) -> bool:
    """Run queued steps in this thread until the queue is empty; True if any ran."""
    install_runtime(runtime)
    return bool(ThreadedTrainingWorker(runtime, _unique_name(SERVE_NAME_PREFIX)).work(burst=True))


def run_worker(
    services: Services, config: TrainingConfig, burst: bool = False, watches: Sequence[Watch] = ()
) -> bool:
    """``alignbot worker``: run steps until stopped (SIGTERM/SIGINT), or until the queue is
    empty with ``burst``. ``watches``: the other job kinds its reaper looks after."""
    runtime = TrainingRuntime(services, config)
    install_runtime(runtime)
    reaper = ReaperThread(runtime, watches=watches).start()
    worker = TrainingWorker(runtime, _unique_name(WORKER_NAME_PREFIX))
    heartbeat = RepeatingTask(
        worker.heartbeat,
        HEARTBEAT_SECONDS,
        thread_name="worker-heartbeat",
        logger=log,
        failure_message="worker heartbeat failed",
        failure_level=logging.WARNING,
    ).start()
    log.info("training worker %s listening on queue %s", worker.name, config.queue_name)
    try:
        return bool(worker.work(burst=burst))
    finally:
        heartbeat.stop()
        reaper.stop()


class InProcessRunner:
    """Inside ``serve``: the reaper, plus running steps while no dedicated worker is alive."""

    def __init__(
        self,
        runtime: TrainingRuntime,
        poll_seconds: float = SERVE_POLL_SECONDS,
        watches: Sequence[Watch] = (),
    ) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.reaper = ReaperThread(runtime, watches=watches)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="training-runner", daemon=True)

    @classmethod
    def for_services(cls, services: Services, watches: Sequence[Watch] = ()) -> InProcessRunner:
        runtime = TrainingRuntime(services, TrainingConfig.from_settings(services.settings))
        return cls(runtime, watches=watches)

    def start(self) -> InProcessRunner:
        install_runtime(self.runtime)
        self.reaper.start()
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking steps; a step under way hands itself back to the queue."""
        self._stop.set()
        self.runtime.stopping.set()
        log.info("training runner stopping; a step under way goes back to the queue")
        self._thread.join(timeout)
        self.reaper.stop()

    def run_once(self) -> bool:
        """One round: run the next queued step if no dedicated worker is alive; True if one ran."""
        if not self.runtime.queue().count or dedicated_worker_alive(self.runtime):
            return False
        worker = ThreadedTrainingWorker(self.runtime, _unique_name(SERVE_NAME_PREFIX))
        # One job per round, so a stop request is seen between steps. RQ's per-job lines are
        # left to dedicated workers; the bot's own log says what each step did.
        return bool(worker.work(burst=True, max_jobs=1, logging_level="WARNING"))

    def _loop(self) -> None:
        while not self._stop.is_set():
            ran = False
            try:
                ran = self.run_once()
            except Exception:
                log.exception("the in-process training runner failed; it tries again shortly")
            if not ran:
                self._stop.wait(self.poll_seconds)
