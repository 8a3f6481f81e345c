"""The state of one training run in Redis, and the runs any worker should keep an eye on.

A run's state is one JSON document, always changed inside a WATCH/MULTI transaction, so a step,
the reaper and a cancel racing each other never lose an update. While a run is live, its
labeler's ``training`` key holds its id (one training per labeler at a time) and a pointer to it
sits in the global set of active runs that the reaper walks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from bot.keys import ACTIVE_TRAININGS_KEY, Workspace

QUEUED, RUNNING = "queued", "running"
FINISHED, FAILED, CANCELLED = "finished", "failed", "cancelled"
FINAL_STATUSES = frozenset({FINISHED, FAILED, CANCELLED})


class TrainingInProgressError(Exception):
    def __init__(self, labeler: str, run_id: str) -> None:
        self.labeler = labeler
        self.run_id = run_id
        super().__init__(
            f"`{labeler}` is already training. Wait for it to finish, or stop it with "
            f"`/align cancel {labeler}`."
        )


class TrainingLimitError(TrainingInProgressError):
    """The workspace already runs as many trainings at once as it may."""

    def __init__(self, labeler: str, limit: int) -> None:
        Exception.__init__(
            self,
            f"This workspace already runs {limit} training(s) at once, the most it may. "
            f"Start `{labeler}` when one of them finishes, or cancel one with `/align cancel`.",
        )
        self.labeler, self.run_id, self.limit = labeler, "", limit


class StaleRunError(Exception):
    """The run moved on (another worker, a cancel) since this change was planned."""


# Step 0 saves no version: its rules are the empty set the training starts from.
NO_VERSION = 0
START_CHANGE = "no rules yet: the task description alone"


@dataclass
class StepResult:
    step: int
    version: int  # labeler checkpoint version this step saved (NO_VERSION for step 0)
    validation_score: float
    test_accuracy: float | None = None
    change: str | None = None
    model_calls: int = 0


@dataclass
class TrainingRun:
    run_id: str
    labeler: str
    team_id: str
    enterprise_id: str | None
    dataset_id: str
    steps_total: int
    seed: int
    test_fraction: float
    channel: str
    thread_ts: str  # where the report goes: the progress message's thread
    message_ts: str  # the progress message
    user: str
    split_text: str
    started_at: float
    settings: dict[str, Any]  # the labeler's settings_dict() for this run
    status: str = QUEUED
    steps_done: int = 0
    job_id: str | None = None
    attempts: int = 0  # starts of the current step
    updated_at: float = 0.0
    finished_at: float | None = None
    # The last saved checkpoint is not yet scored on the test rows (its worker died first).
    pending_evaluation: bool = False
    model_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    history: list[StepResult] = field(default_factory=list)
    error: str | None = None
    # Step 0: the rules the training starts from (none yet), scored once before step 1.
    start: StepResult | None = None

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)

    @property
    def next_step(self) -> int:
        return self.steps_done + 1

    @property
    def charted_steps(self) -> list[StepResult]:
        """The steps a chart or report shows: step 0 (when scored), then each step done."""
        return [self.start, *self.history] if self.start is not None else list(self.history)

    @property
    def latest_accuracy(self) -> float | None:
        scored = [
            result.test_accuracy
            for result in self.charted_steps
            if result.test_accuracy is not None
        ]
        return scored[-1] if scored else None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TrainingRun:
        data: dict[str, Any] = json.loads(text)
        data["history"] = [StepResult(**item) for item in data.get("history", [])]
        if data.get("start") is not None:
            data["start"] = StepResult(**data["start"])
        return cls(**data)


def pointer_of(run: TrainingRun) -> str:
    return json.dumps({"team": run.team_id, "enterprise": run.enterprise_id, "run": run.run_id})


def parse_pointer(pointer: str) -> tuple[Workspace, str]:
    data = json.loads(pointer)
    return Workspace(str(data["team"]), data.get("enterprise") or None), str(data["run"])


def active_pointers(client: redis.Redis) -> list[str]:
    return sorted(str(item) for item in client.smembers(ACTIVE_TRAININGS_KEY))


class RunStore:
    """Training runs of one workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.workspace = workspace
        self.keys = workspace.keys

    def create(self, run: TrainingRun, most_at_once: int | None = None) -> None:
        """Save a new run and make it its labeler's training; TrainingInProgressError if the
        labeler already has one, TrainingLimitError when the workspace already runs
        ``most_at_once`` trainings (checked in the same transaction, so two starts at the same
        moment cannot both take the last place)."""
        lock_key = self.keys.labeler_training(run.labeler)

        def attempt(pipe: redis.client.Pipeline) -> None:
            running = pipe.get(lock_key)
            if running is not None and running != run.run_id:
                raise TrainingInProgressError(run.labeler, str(running))
            if most_at_once is not None:
                active = [parse_pointer(str(p))[0] for p in pipe.smembers(ACTIVE_TRAININGS_KEY)]
                if sum(found == self.workspace for found in active) >= most_at_once:
                    raise TrainingLimitError(run.labeler, most_at_once)
            pipe.multi()
            pipe.set(lock_key, run.run_id)
            pipe.set(self.keys.training(run.run_id), run.to_json())
            pipe.sadd(ACTIVE_TRAININGS_KEY, pointer_of(run))

        self.redis.transaction(attempt, lock_key, ACTIVE_TRAININGS_KEY)

    def running_in_workspace(self) -> int:
        """How many trainings of this workspace are running now."""
        active = (parse_pointer(str(p))[0] for p in self.redis.smembers(ACTIVE_TRAININGS_KEY))
        return sum(found == self.workspace for found in active)

    def load(self, run_id: str) -> TrainingRun | None:
        raw = self.redis.get(self.keys.training(run_id))
        return None if raw is None else TrainingRun.from_json(str(raw))

    def running_run_id(self, labeler: str) -> str | None:
        value = self.redis.get(self.keys.labeler_training(labeler))
        return None if value is None else str(value)

    def update(
        self,
        run_id: str,
        change: Callable[[TrainingRun, redis.client.Pipeline], None],
        watch: tuple[str, ...] = (),
        then: Callable[[TrainingRun, redis.client.Pipeline], None] | None = None,
    ) -> TrainingRun:
        """Apply ``change`` to the run atomically and return the saved run.

        ``change`` runs while the run's key and ``watch`` keys are watched; it may read through
        the pipeline and raises (e.g. StaleRunError) to abandon the update. ``then`` queues more
        writes in the same MULTI. A final status also frees the labeler and leaves the active set.
        """
        key = self.keys.training(run_id)
        saved: list[TrainingRun] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            saved.clear()
            raw = pipe.get(key)
            if raw is None:
                raise StaleRunError(f"training run {run_id} no longer exists")
            run = TrainingRun.from_json(str(raw))
            if run.is_final:
                raise StaleRunError(f"training run {run_id} already ended ({run.status})")
            change(run, pipe)
            lock_key = self.keys.labeler_training(run.labeler)
            holder = None
            if run.is_final:
                pipe.watch(lock_key)
                holder = pipe.get(lock_key)
            pipe.multi()
            pipe.set(key, run.to_json())
            if then is not None:
                then(run, pipe)
            if run.is_final:
                if holder == run.run_id:
                    pipe.delete(lock_key)
                pipe.srem(ACTIVE_TRAININGS_KEY, pointer_of(run))
                pipe.delete(self.keys.training_lease(run_id), self.keys.training_cancel(run_id))
            saved.append(run)

        self.redis.transaction(attempt, key, *watch)
        return saved[0]

    def forget_pointer(self, pointer: str) -> None:
        self.redis.srem(ACTIVE_TRAININGS_KEY, pointer)


def iter_active_runs(client: redis.Redis) -> Iterator[tuple[str, RunStore, str]]:
    """(pointer, store, run id) for every run in the active set."""
    for pointer in active_pointers(client):
        workspace, run_id = parse_pointer(pointer)
        yield pointer, RunStore(client, workspace), run_id
