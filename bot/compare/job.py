"""The comparison job: run on the training queue's workers, with the same runtime, and stoppable.

The job carries ids only (RQ's JSON serializer); it reads the comparison, the two versions and
the examples from Redis, runs ``alignment.compare`` with the Redis answer cache, edits the
progress message as it goes (no more often than the training progress throttle allows), and
posts the result, the losses side by side and the full CSV in the thread.
"""

from __future__ import annotations

import io
import logging
import threading

import pandas as pd
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
from bot.labelers.jobs.runtime import TrainingRuntime, current_runtime
from bot.labelers.progress import Throttle
from bot.prompts.store import PromptStore, PromptStoreError
from bot.slack.blocks import Message
from bot.slack.failure_text import failure_reason

log = logging.getLogger(__name__)

COMPARE_JOB_FUNCTION = "bot.compare.job.run_comparison"
JOB_TIMEOUT_SECONDS = 3600
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# Calls in flight for one comparison: the model helpers cap concurrency across the process too.
MAX_CONCURRENCY = 8


def enqueue_comparison(runtime: TrainingRuntime, comparison: Comparison) -> None:
    runtime.queue().enqueue_call(
        COMPARE_JOB_FUNCTION,
        kwargs={
            "team_id": comparison.team_id,
            "enterprise_id": comparison.enterprise_id,
            "compare_id": comparison.compare_id,
        },
        job_id=f"compare-{comparison.compare_id}",
        timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        description=f"compare prompt {comparison.name}: v{comparison.a} with v{comparison.b}",
    )


def run_comparison(team_id: str, enterprise_id: str | None, compare_id: str) -> str:
    """The RQ entry point: run comparison ``compare_id`` of the workspace; says what happened."""
    return ComparisonJob(current_runtime(), Workspace(team_id, enterprise_id), compare_id).run()


class ComparisonJob:
    def __init__(self, runtime: TrainingRuntime, workspace: Workspace, compare_id: str) -> None:
        self.runtime = runtime
        self.services = runtime.services
        self.workspace = workspace
        self.compare_id = compare_id
        self.store = ComparisonStore(runtime.redis, workspace)
        self.throttle = Throttle(runtime.clock, runtime.config.progress_interval_seconds)
        self._edit_lock = threading.Lock()
        self._checked_at = float("-inf")
        self._stop = False

    def run(self) -> str:
        comparison = self.store.claim_status(self.compare_id, QUEUED, RUNNING)
        if comparison is None:
            return "skipped: the comparison is not waiting to run"
        self.comparison = comparison
        if self.store.cancel_requested(self.compare_id):
            self._end(CANCELLED, "cancelled before it started.")
            return "cancelled"
        try:
            result = self._compare()
        except TrainingCancelled:
            self._end(CANCELLED, "cancelled; nothing was changed.")
            return "cancelled"
        except (AlignmentError, PromptStoreError) as error:
            log.warning("comparison %s failed: %s", self.compare_id, error)
            self._end(FAILED, f"failed: {failure_reason(error)}")
            return "failed"
        self._post_result(result)
        return "finished"

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
            should_stop=self._should_stop,
            on_progress=self._progress,
        )

    def _should_stop(self) -> bool:
        # Many calls start at once; one Redis read per interval answers them all.
        now = self.runtime.clock.now()
        if not self._stop and now - self._checked_at >= self.runtime.config.cancel_check_seconds:
            self._checked_at = now
            self._stop = self.runtime.stopping.is_set() or self.store.cancel_requested(
                self.compare_id
            )
        return self._stop

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
        c = self.comparison
        try:
            self.services.slack_for(self.workspace).chat_update(
                channel=c.channel, ts=c.message_ts, **message.as_kwargs()
            )
        except SlackApiError as error:
            log.warning("could not edit the comparison message: %s", error.response.get("error"))

    def _post(self, message: Message) -> None:
        c = self.comparison
        self.services.slack_for(self.workspace).chat_postMessage(
            channel=c.channel, thread_ts=c.thread_ts, **message.as_kwargs()
        )

    def _end(self, status: str, what: str) -> None:
        self.store.update(self.compare_id, status=status, error=what)
        with self._edit_lock:
            self._edit(views.ended(self.comparison, what))

    def _post_result(self, result: ComparisonResult) -> None:
        c = self.comparison
        prompts = PromptStore(self.runtime.redis, self.workspace)
        current = prompts.current(c.name).version
        offer = c.b != current
        self.comparison = c = (
            self.store.update(self.compare_id, status=FINISHED, summary=result.summary()) or c
        )
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
