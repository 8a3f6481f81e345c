"""One training step, as run by a job: train, save the checkpoint, measure it, queue what's next.

The order makes every crash recoverable from Redis alone. A step holds the run's lease while it
works; the checkpoint it trains is saved (as a new labeler version) before it is measured on the
test rows, so a worker that dies while measuring loses no training: the step that resumes
measures the saved checkpoint first (``pending_evaluation``). Only the lease holder may write,
and the next step is queued only after the lease is released, so it never finds it taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd
import redis

from alignment.data import split_dataset
from alignment.errors import TrainingCancelled
from alignment.labeler import Labeler, LabelerCheckpoint, ProgressEvent, Scorecard
from bot.keys import Workspace
from bot.labelers import notify
from bot.labelers.datasets import DatasetStore
from bot.labelers.jobs.cancel import (
    LEASE_LOST,
    SHUTTING_DOWN,
    StopCheck,
    cancel_requested,
    cancelled_by,
)
from bot.labelers.jobs.lease import Lease, LeaseLostError
from bot.labelers.jobs.outcomes import (
    describe_failure,
    end_run,
    post_report,
    progress_message,
    send_notification,
    show_final_state,
)
from bot.labelers.jobs.queueing import enqueue_step, new_job_id
from bot.labelers.jobs.response_cache import RedisResponseCache
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.usage import Usage, UsageMeter
from bot.labelers.progress import view_for_run, within_step
from bot.labelers.report import TrainingReport
from bot.labelers.run_state import (
    CANCELLED,
    FAILED,
    FINISHED,
    NO_VERSION,
    QUEUED,
    RUNNING,
    START_CHANGE,
    RunStore,
    StaleRunError,
    StepResult,
    TrainingRun,
)
from bot.labelers.store import CheckpointVersion, LabelerStore, now_iso

log = logging.getLogger(__name__)


class MissingCheckpointError(RuntimeError):
    def __init__(self, version: int) -> None:
        super().__init__(
            f"version {version} of the labeler, saved by an earlier step, is no longer stored"
        )


class StepJob:
    def __init__(
        self,
        runtime: TrainingRuntime,
        workspace: Workspace,
        run_id: str,
        step: int,
        job_id: str | None,
    ) -> None:
        self.runtime = runtime
        self.workspace = workspace
        self.run_id = run_id
        self.step = step
        self.job_id = job_id
        config = runtime.config
        self.runs = RunStore(runtime.redis, workspace)
        self.labelers = LabelerStore(runtime.redis, workspace)
        self.datasets = DatasetStore(
            runtime.redis, workspace, config.max_dataset_bytes, config.dataset_ttl_seconds
        )
        self.lease = Lease(
            runtime.redis, workspace.keys.training_lease(run_id), config.lease_seconds
        )
        self.stop = StopCheck(
            lambda: cancel_requested(runtime.redis, workspace, run_id),
            self.lease,
            runtime.stopping,
            config.cancel_check_seconds,
        )
        self.meter: UsageMeter | None = None
        self.scorecard: Scorecard | None = None
        self._step_share = 0.0
        self._measuring_previous = False

    # -- the job -------------------------------------------------------------------------------

    def run(self) -> str:
        """Run the step; returns what happened, in a few words (RQ keeps it as the result)."""
        run = self.runs.load(self.run_id)
        if run is None or run.is_final:
            return "skipped: the training has ended"
        if run.next_step != self.step:
            return f"skipped: step {self.step} was already done"
        if self.job_id is not None and run.job_id not in (None, self.job_id):
            return "skipped: this step was queued again under another job"
        if cancel_requested(self.runtime.redis, self.workspace, self.run_id):
            self._end_cancelled(lease=None)
            return "cancelled"
        if not self.lease.acquire():
            return "skipped: another worker is running this step"
        follow_up: Callable[[], None] | None = None
        try:
            with self.lease.heartbeat():
                outcome, follow_up = self._run_leased()
        finally:
            self.lease.release()
        if follow_up is not None:
            follow_up()
        return outcome

    def _run_leased(self) -> tuple[str, Callable[[], None] | None]:
        try:
            self.state = self._update(self._mark_running)
        except (StaleRunError, LeaseLostError):
            return "skipped: the run moved on", None
        self.progress = progress_message(self.runtime, self.state)
        self._calls_before = self.state.model_calls
        try:
            data = self.datasets.load(self.state.dataset_id)
            train, test = split_dataset(
                data.frame, data.label, self.state.test_fraction, self.state.seed
            )
            labeler = self._labeler()
            if self.step == 1 and not self.state.history and self.state.start is None:
                self._score_start(labeler, train, test)
            if self.state.pending_evaluation:
                self._measuring_previous = True
                self._evaluate(labeler, test)
                self._measuring_previous = False
            if self.step <= self.state.steps_total:
                self._train(labeler, train)
                self._evaluate(labeler, test)
            if self.state.steps_done < self.state.steps_total:
                return "done", self._queue_next()
            self._finish(labeler, test)
            return "finished", None
        except TrainingCancelled:
            return self._stopped()
        except (StaleRunError, LeaseLostError):
            return "stopped: the run moved on", None
        except redis.RedisError:
            raise  # Redis is down: leave the step to be resumed once it is back
        except Exception as error:
            log.exception("training run %s failed in step %s", self.run_id, self.step)
            self._end(FAILED, describe_failure(error, self.step), lease=self.lease)
            return "failed", None

    # -- pieces --------------------------------------------------------------------------------

    def _labeler(self) -> Labeler:
        services = self.runtime.services
        train_model, eval_model = services.train_model, services.prompt_model
        helpers = [train_model] if train_model is eval_model else [train_model, eval_model]
        cache = RedisResponseCache(
            self.runtime.redis,
            self.workspace,
            self.state.labeler,
            self.run_id,
            self.runtime.config.cache_ttl_seconds,
        )
        self.labeler = Labeler.from_settings(
            self.state.settings,
            train_model,
            eval_model,
            cache=cache,
            progress=self._on_progress,
            should_stop=self.stop,
        )
        self.meter = UsageMeter(self.labeler, helpers)
        return self.labeler

    def _score_start(self, labeler: Labeler, train: pd.DataFrame, test: pd.DataFrame) -> None:
        """Step 0: the rules the training starts from (none yet) scored on the first step's
        validation rows and on the test rows, so charts and the report start before step 1.

        Recorded once with the run (its calls counted like a step's); a resumed step 1 finds it
        and does not score again. A worker that dies first leaves the answers in the run's
        cache, so scoring again costs no new model calls.
        """
        self._measuring_previous = True  # the progress message shows step 0, not step 1
        try:
            validation = labeler.score_rules(None, train)
            accuracy = None
            if len(test):
                predictions = labeler.infer_checkpoint(LabelerCheckpoint(), test)
                accuracy = float(labeler.get_scorecard(test, predictions)["accuracy"])
        finally:
            self._measuring_previous = False
        usage = self._usage()

        def record(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.lease.check(pipe)
            if run.history or run.start is not None:
                raise StaleRunError(f"step 0 of run {self.run_id} was already recorded")
            run.start = StepResult(
                step=0,
                version=NO_VERSION,
                validation_score=validation,
                test_accuracy=accuracy,
                change=START_CHANGE,
                model_calls=usage.model_calls,
            )
            usage.add_to(run)

        self.state = self._update(record)
        self._counted(usage)
        self._show_progress()

    def _train(self, labeler: Labeler, train: pd.DataFrame) -> None:
        trained = labeler.train_step(self._latest_checkpoint(), train)
        record = trained.history[-1]
        usage = self._usage()
        saved: list[CheckpointVersion] = []
        checkpoints_key = self.workspace.keys.labeler_checkpoints(self.state.labeler)

        def save(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            saved.clear()
            self.lease.check(pipe)
            if run.next_step != self.step:
                raise StaleRunError(f"step {self.step} of run {self.run_id} was already saved")
            version = self.labelers.version_count(pipe, run.labeler) + 1
            saved.append(
                CheckpointVersion(version, trained, run.settings, run.run_id, self.step, now_iso())
            )
            run.steps_done = self.step
            run.pending_evaluation = True
            run.history.append(
                StepResult(
                    step=self.step,
                    version=version,
                    validation_score=float(record["score"]),
                    change=record["change"],
                    model_calls=int(record["model_calls"]),
                )
            )
            usage.add_to(run)

        def stage(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.labelers.stage_version(pipe, run.labeler, saved[0])

        self.state = self.runs.update(
            self.run_id, save, watch=(self.lease.key, checkpoints_key), then=stage
        )
        self._counted(usage)

    def _evaluate(self, labeler: Labeler, test: pd.DataFrame) -> None:
        """Measure the latest saved checkpoint on the test rows, record it, notify."""
        latest = self.state.history[-1]
        stored = self.labelers.version(self.state.labeler, latest.version)
        if stored is None:
            raise MissingCheckpointError(latest.version)
        predictions = labeler.infer_checkpoint(stored.checkpoint, test)
        scorecard = labeler.get_scorecard(test, predictions)
        usage = self._usage()

        def record(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.lease.check(pipe)
            if not run.history or run.history[-1].version != latest.version:
                raise StaleRunError("the run saved another checkpoint meanwhile")
            run.history[-1].test_accuracy = float(scorecard["accuracy"])
            run.pending_evaluation = False
            usage.add_to(run)

        self.state = self._update(record)
        self._counted(usage)
        self.labelers.record_scorecard(self.state.labeler, latest.version, scorecard)
        self.scorecard = scorecard
        if self.state.steps_done < self.state.steps_total:
            settings = self.labelers.notification_settings(self.state.labeler)
            due = notify.after_step(
                float(scorecard["accuracy"]),
                self.labelers.last_notified_accuracy(self.state.labeler),
                settings.delta,
                settings.target,
            )
            if due is not None:
                send_notification(
                    self.runtime, self.state, due, latest.step, kind=f"notice:step:{latest.step}"
                )
        self._show_progress()

    def _queue_next(self) -> Callable[[], None]:
        job_id = new_job_id(self.run_id, self.step + 1)

        def hand_over(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.lease.check(pipe)
            run.status, run.job_id, run.attempts = QUEUED, job_id, 0
            run.updated_at = self.runtime.clock.now()

        self.state = self._update(hand_over)
        queued = self.state
        return lambda: self._enqueue(queued, at_front=False)

    def _finish(self, labeler: Labeler, test: pd.DataFrame) -> None:
        if self.scorecard is None:
            stored = self.labelers.latest_scorecard(self.state.labeler)
            if stored is not None and stored[0] == self.state.history[-1].version:
                self.scorecard = stored[1]
            else:
                self._evaluate(labeler, test)
        assert self.scorecard is not None
        usage = self._usage()
        latest = self.state.history[-1]
        version = self.labelers.version(self.state.labeler, latest.version)
        assert version is not None
        report = TrainingReport(
            labeler=self.state.labeler,
            version=latest.version,
            label_values=labeler.label_values,
            scorecard=self.scorecard,
            checkpoint=version.checkpoint,
            steps=self.state.history,
            start=self.state.start,
            steps_total=self.state.steps_total,
            model_calls=self.state.model_calls + usage.model_calls,
            cache_hits=self.state.cache_hits + usage.cache_hits,
            prompt_tokens=self.state.prompt_tokens + usage.prompt_tokens,
            output_tokens=self.state.output_tokens + usage.output_tokens,
            duration_seconds=self.runtime.clock.now() - self.state.started_at,
        )
        post_report(self.runtime, self.state, report)
        previous = self.labelers.last_notified_accuracy(self.state.labeler)
        accuracy = float(self.scorecard["accuracy"])
        send_notification(
            self.runtime,
            self.state,
            notify.at_end(accuracy, previous),
            latest.step,
            kind="notice:end",
        )

        def done(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.lease.check(pipe)
            run.status, run.finished_at = FINISHED, self.runtime.clock.now()
            usage.add_to(run)

        self.state = self._update(done)
        self._counted(usage)
        show_final_state(self.runtime, self.state)

    def _stopped(self) -> tuple[str, Callable[[], None] | None]:
        reason = self.stop.reason
        if reason == LEASE_LOST:
            return "stopped: another worker took over the step", None
        if reason == SHUTTING_DOWN:
            return "handed back: this worker is shutting down", self._hand_back()
        self._end_cancelled(lease=self.lease)
        return "cancelled", None

    def _hand_back(self) -> Callable[[], None] | None:
        """Queue this step again (first in line) for another worker; not counted as an attempt."""
        job_id = new_job_id(self.run_id, self.step)
        usage = self._usage()

        def requeue(run: TrainingRun, pipe: redis.client.Pipeline) -> None:
            self.lease.check(pipe)
            run.status, run.job_id = QUEUED, job_id
            run.attempts = max(run.attempts - 1, 0)
            run.updated_at = self.runtime.clock.now()
            usage.add_to(run)

        try:
            queued = self._update(requeue)
        except (StaleRunError, LeaseLostError):
            return None
        self._counted(usage)
        return lambda: self._enqueue(queued, at_front=True)

    def _end_cancelled(self, lease: Lease | None) -> None:
        who = cancelled_by(self.runtime.redis, self.workspace, self.run_id)
        by = f" by <@{who}>" if who else ""
        run = self.runs.load(self.run_id)
        after = (
            f"after step {run.steps_done}"
            if run is not None and run.steps_done
            else "before the first step finished"
        )
        self._end(CANCELLED, f"Training cancelled{by} {after}.", lease=lease)

    def _end(self, status: str, reason: str, lease: Lease | None) -> None:
        usage = self._usage()
        end_run(self.runtime, self.run_id, self.runs, status, reason, lease, usage.add_to)

    # -- helpers -------------------------------------------------------------------------------

    def _enqueue(self, run: TrainingRun, at_front: bool) -> None:
        enqueue_step(self.runtime, run, at_front=at_front)

    def _mark_running(self, run: TrainingRun, pipe: redis.client.Pipeline) -> None:
        self.lease.check(pipe)
        if run.next_step != self.step:
            raise StaleRunError(f"step {self.step} of run {self.run_id} was already done")
        run.status = RUNNING
        run.attempts += 1
        run.job_id = self.job_id or run.job_id
        run.updated_at = self.runtime.clock.now()

    def _update(self, change: Callable[[TrainingRun, redis.client.Pipeline], None]) -> TrainingRun:
        return self.runs.update(self.run_id, change, watch=(self.lease.key,))

    def _latest_checkpoint(self) -> LabelerCheckpoint | None:
        if not self.state.history:
            return None
        stored = self.labelers.version(self.state.labeler, self.state.history[-1].version)
        if stored is None:
            raise MissingCheckpointError(self.state.history[-1].version)
        return stored.checkpoint

    def _usage(self) -> Usage:
        """Usage not yet added to the run's totals."""
        return self.meter.uncounted() if self.meter is not None else Usage()

    def _usage_total(self) -> Usage:
        return self.meter.total() if self.meter is not None else Usage()

    def _counted(self, usage: Usage) -> None:
        if self.meter is not None:
            self.meter.counted(usage)

    def _on_progress(self, event: ProgressEvent) -> None:
        if self._measuring_previous:
            # Catching up on the previous step's test rows, or scoring step 0: this step has
            # not begun.
            share = 0.0
        else:
            share = within_step(event.phase, event.done, event.total)
            self._step_share = max(self._step_share, share)
        self.progress.offer(
            view_for_run(
                self.state,
                self.runtime.clock.now(),
                phase=event.phase,
                step=self.step - 1 if self._measuring_previous else self.step,
                position=self.step - 1 + self._step_share,
                model_calls=self._calls_before + event.model_calls,
            )
        )

    def _show_progress(self) -> None:
        self.progress.offer(
            view_for_run(
                self.state,
                self.runtime.clock.now(),
                step=self.step,
                position=self.step - 1 + self._step_share,
                model_calls=self._calls_before + self._usage_total().model_calls,
            )
        )
