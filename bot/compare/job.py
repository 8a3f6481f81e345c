"""The comparison job: run on the training queue's workers, with the same runtime, lease,
heartbeat and reaper as a training step, and stoppable the same way.

The job carries ids only (RQ's JSON serializer); it reads the comparison, the two versions and
the examples from Redis, runs ``alignment.compare`` with the Redis answer cache, edits the
progress message as it goes (no more often than the training progress throttle allows), and
posts the result, the losses side by side and the full CSV in the thread. It holds the
comparison's lease while it works: if its worker dies, the lease expires and the reaper
(``bot.compare.recovery``) queues it again; the answers already cached are not asked again.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid

import pandas as pd
from rq import get_current_job
from slack_sdk.errors import SlackApiError

from alignment.compare import ComparisonResult, compare_versions
from alignment.data import write_spreadsheet_csv
from alignment.errors import AlignmentError, TrainingCancelled
from alignment.single_run import AlignableSingleRun
from bot.compare import views
from bot.compare.answer_cache import RedisAnswerCache
from bot.compare.state import (
    CANCELLED,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    Comparison,
    ComparisonStore,
)
from bot.examples.store import ExampleStore
from bot.keys import Workspace
from bot.labelers.jobs.cancel import LEASE_LOST, SHUTTING_DOWN, StopCheck
from bot.labelers.jobs.lease import Lease, LeaseLostError
from bot.labelers.jobs.runtime import TrainingRuntime, current_runtime
from bot.labelers.progress import Throttle
from bot.prompts.store import PromptStore, PromptStoreError
from bot.services import Services
from bot.slack.blocks import Message
from bot.slack.failure_text import failure_reason

log = logging.getLogger(__name__)

COMPARE_JOB_FUNCTION = "bot.compare.job.run_comparison"
JOB_TIMEOUT_SECONDS = 3600
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# Calls in flight for one comparison: the model helpers cap concurrency across the process too.
MAX_CONCURRENCY = 8


def new_job_id(compare_id: str) -> str:
    """Unique per enqueue (the reaper may queue a comparison again), readable in ``rq info``."""
    return f"compare-{compare_id}-{uuid.uuid4().hex[:8]}"


def enqueue_comparison(
    runtime: TrainingRuntime, comparison: Comparison, at_front: bool = False
) -> None:
    """Queue the comparison under ``comparison.job_id`` (already saved in its state)."""
    runtime.queue().enqueue_call(
        COMPARE_JOB_FUNCTION,
        kwargs={
            "team_id": comparison.team_id,
            "enterprise_id": comparison.enterprise_id,
            "compare_id": comparison.compare_id,
        },
        job_id=comparison.job_id,
        timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        at_front=at_front,
        description=f"compare prompt {comparison.name}: v{comparison.a} with v{comparison.b}",
    )


def edit_progress(services: Services, comparison: Comparison, message: Message) -> None:
    """Show ``message`` in place of the comparison's progress message (best effort)."""
    try:
        services.slack_for(comparison.workspace).chat_update(
            channel=comparison.channel, ts=comparison.message_ts, **message.as_kwargs()
        )
    except SlackApiError as error:
        log.warning("could not edit the comparison message: %s", error.response.get("error"))


def run_comparison(team_id: str, enterprise_id: str | None, compare_id: str) -> str:
    """The RQ entry point: run comparison ``compare_id`` of the workspace; says what happened."""
    job = get_current_job()
    return ComparisonJob(
        current_runtime(), Workspace(team_id, enterprise_id), compare_id, job.id if job else None
    ).run()


class ComparisonJob:
    def __init__(
        self,
        runtime: TrainingRuntime,
        workspace: Workspace,
        compare_id: str,
        job_id: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.services = runtime.services
        self.workspace = workspace
        self.compare_id = compare_id
        self.job_id = job_id
        self.store = ComparisonStore(runtime.redis, workspace)
        self.throttle = Throttle(runtime.clock, runtime.config.progress_interval_seconds)
        self._edit_lock = threading.Lock()
        self.lease = Lease(
            runtime.redis, workspace.keys.compare_lease(compare_id), runtime.config.lease_seconds
        )
        self.stop = StopCheck(
            lambda: self.store.cancel_requested(compare_id),
            self.lease,
            runtime.stopping,
            runtime.config.cancel_check_seconds,
        )

    def run(self) -> str:
        found = self.store.load(self.compare_id)
        if found is None or found.status != QUEUED:
            return "skipped: the comparison is not waiting to run"
        if self.job_id is not None and found.job_id not in ("", self.job_id):
            return "skipped: the comparison was queued again under another job"
        if not self.lease.acquire():
            return "skipped: another worker is running this comparison"
        handed_back: Comparison | None = None
        try:
            with self.lease.heartbeat():
                outcome, handed_back = self._run_leased(found.attempts + 1)
        finally:
            self.lease.release()
        if handed_back is not None:
            # Queued only once the lease is free, so the next worker does not find it taken.
            enqueue_comparison(self.runtime, handed_back, at_front=True)
        return outcome

    def _run_leased(self, attempt: int) -> tuple[str, Comparison | None]:
        try:
            comparison = self.store.claim_status(
                self.compare_id,
                QUEUED,
                RUNNING,
                lease=self.lease,
                attempts=attempt,
                updated_at=self.runtime.clock.now(),
            )
        except LeaseLostError:
            return "skipped: the comparison moved on", None
        if comparison is None:
            return "skipped: the comparison is not waiting to run", None
        self.comparison = comparison
        if self.store.cancel_requested(self.compare_id):
            return self._end(CANCELLED, "cancelled before it started."), None
        try:
            result = self._compare()
        except TrainingCancelled:
            if self.stop.reason == LEASE_LOST:
                # Another worker has it now (or the reaper will): write nothing.
                return "stopped: the lease was lost", None
            if self.stop.reason == SHUTTING_DOWN:
                return self._hand_back()
            return self._end(CANCELLED, "cancelled; nothing was changed."), None
        except (AlignmentError, PromptStoreError) as error:
            log.warning("comparison %s failed: %s", self.compare_id, error)
            return self._end(FAILED, f"failed: {failure_reason(error)}"), None
        return self._post_result(result), None

    def _hand_back(self) -> tuple[str, Comparison | None]:
        """The worker is stopping: back to the queue, to go on (from the cache) elsewhere."""
        try:
            queued = self.store.claim_status(
                self.compare_id,
                RUNNING,
                QUEUED,
                lease=self.lease,
                job_id=new_job_id(self.compare_id),
                updated_at=self.runtime.clock.now(),
            )
        except LeaseLostError:
            return "stopped: the lease was lost", None
        return "handed back: the worker is stopping", queued

    # -- the comparison --------------------------------------------------------------------

    def _compare(self) -> ComparisonResult:
        c = self.comparison
        prompts = PromptStore(self.runtime.redis, self.workspace)
        if not prompts.is_same_prompt(c.name, c.prompt_id):
            raise PromptStoreError(f"`{c.name}` was deleted since the comparison was asked for.")
        versions = [prompts.version(c.name, number) for number in (c.a, c.b)]
        a, b = (
            AlignableSingleRun(
                self.services.prompt_model, self.services.alignment_model, data=v.prompt
            )
            for v in versions
        )
        examples = [
            e.to_library() for e in ExampleStore(self.runtime.redis, self.workspace).all(c.name)
        ]
        self.store.update(self.compare_id, examples=len(examples))
        self.comparison = c = self.store.load(self.compare_id) or c
        return compare_versions(
            a,
            b,
            examples,
            self.services.alignment_model,
            max_concurrency=MAX_CONCURRENCY,
            cache=RedisAnswerCache(self.runtime.redis, self.workspace),
            should_stop=self.stop,
            on_progress=self._progress,
        )

    def _progress(self, done: int, total: int) -> None:
        if not self._edit_lock.acquire(blocking=False):
            return
        try:
            if self.throttle.due() or done == total:
                self._edit(views.progress(self.comparison, done, total))
                self.throttle.mark_sent()
        finally:
            self._edit_lock.release()

    # -- endings ---------------------------------------------------------------------------

    def _edit(self, message: Message) -> None:
        edit_progress(self.services, self.comparison, message)

    def _post(self, message: Message) -> None:
        c = self.comparison
        self.services.slack_for(self.workspace).chat_postMessage(
            channel=c.channel, thread_ts=c.thread_ts, **message.as_kwargs()
        )

    def _end(self, status: str, what: str) -> str:
        try:
            ended = self.store.claim_status(
                self.compare_id, RUNNING, status, lease=self.lease, error=what
            )
        except LeaseLostError:
            return "stopped: the lease was lost"
        if ended is None:
            return "skipped: the comparison moved on"
        with self._edit_lock:
            self._edit(views.ended(self.comparison, what))
        return status

    def _post_result(self, result: ComparisonResult) -> str:
        c = self.comparison
        prompts = PromptStore(self.runtime.redis, self.workspace)
        current = prompts.current(c.name).version
        offer = c.b != current
        try:
            finished = self.store.claim_status(
                self.compare_id, RUNNING, FINISHED, lease=self.lease, summary=result.summary()
            )
        except LeaseLostError:
            # Another worker took the comparison over; it posts the result, once.
            return "stopped: the lease was lost"
        if finished is None:
            return "skipped: the comparison moved on"
        self.comparison = c = finished
        with self._edit_lock:
            self._edit(
                views.ended(
                    c,
                    f"done: B better on {result.b_better}, worse on {result.b_worse}, "
                    f"tied on {result.tied}.",
                )
            )
        try:
            self._post(views.result_summary(c, result, offer))
            losses = result.losses()
            for item in losses[: views.LOSSES_SHOWN]:
                self._post(views.loss(item))
            if len(losses) > views.LOSSES_SHOWN:
                self._post(views.more_losses(len(losses) - views.LOSSES_SHOWN))
            self._upload_csv(result)
        except SlackApiError as error:
            log.warning("posting the comparison failed: %s", error.response.get("error"))
        return FINISHED

    def _upload_csv(self, result: ComparisonResult) -> None:
        c = self.comparison
        out = io.StringIO()
        write_spreadsheet_csv(pd.DataFrame(result.rows()), out)
        self.services.slack_for(self.workspace).files_upload_v2(
            channel=c.channel,
            thread_ts=c.thread_ts,
            content=out.getvalue(),
            filename=f"compare-{c.name}-v{c.a}-v{c.b}.csv",
            title=f"{c.name}: version {c.a} vs {c.b}",
            initial_comment=views.csv_comment(c),
        )
