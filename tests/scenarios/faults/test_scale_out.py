"""Two bot processes and two workers on one real Redis server, as a scaled-out deployment runs.

Events are spread over both bot processes, and every one of them is delivered to both (as a
load balancer plus Slack's retries would): each is applied once. Concurrent feedback through
both processes all lands. Each training step runs on exactly one worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from bot.config import load_settings
from bot.feedback import views as feedback_views
from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.run_state import FINISHED
from bot.labelers.run_state import RunStore as TrainingRuns
from bot.labelers.store import LabelerStore
from bot.observability.metrics import BotMetrics
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.redis_conn import RedisConnection
from bot.services import Services
from tests.alignment.labeler_world import RuleWorld, truth_of
from tests.bot.labelers.jobs.support import WORKSPACE, labelled_frame, training_request
from tests.fakes.bot_harness import BotProcess, bot_environment, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import (
    FEEDBACK_MARKERS,
    Teammate,
    model_answer,
    thread_messages,
    with_action,
)

PEOPLE = 12


@dataclass
class Cluster:
    server: RedisServer
    slack: SlackEmulator
    bots: list[BotProcess]
    workers: list[BotProcess]
    env: dict[str, str]

    def client(self) -> redis.Redis:
        return self.server.client()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    world = RuleWorld(truth=truth_of(labelled_frame()), fallback="False")

    def respond(request: RecordedRequest) -> str:
        prompt = prompt_text(request)
        if any(marker in prompt for marker in FEEDBACK_MARKERS):
            return model_answer(prompt)
        return world.answer(prompt)

    with (
        RedisServer(root / "redis", appendfsync="everysec") as server,
        SlackEmulator() as slack,
        FakeGemini(responder=respond) as gemini,
    ):
        env = bot_environment(slack, server.url, root / "data", gemini.env)
        processes: list[BotProcess] = []
        try:
            # Each bot gets a port of its own (bot_environment picks a free one).
            bots = [
                BotProcess(bot_environment(slack, server.url, root / "data", gemini.env),
                           root / f"bot{n}").start()
                for n in range(2)
            ]  # fmt: skip
            workers = [
                BotProcess(env, root / f"worker{n}", args=("worker",)).start() for n in range(2)
            ]
            processes = bots + workers
            for bot in bots:
                bot.wait_ready()
            for worker in workers:
                worker.wait_log("Listening on")
            yield Cluster(server, slack, bots, workers, env)
        finally:
            for process in processes:
                process.stop()


def test_events_spread_over_both_bots_apply_once_and_concurrent_feedback_all_lands(
    cluster: Cluster,
) -> None:
    bot_a, bot_b = cluster.bots
    client = cluster.client()
    workspace = Workspace(TEAM_ID)
    with ResponseUrlServer() as responses:
        owner = Teammate(bot_a, responses, "U0OWNER")
        assert "version 1" in owner.ask("new uses Give three uses for {item}.")
        Teammate(bot_b, responses, "U0OWNER").send("run uses item=scissors")
        run = wait_until(
            lambda: run_in_channel(cluster.slack, client, workspace), 15, what="the run"
        )

        # Every reply reaches both processes at once: first delivery to one, Slack's retry of
        # the same event to the other. Half the people start on each side.
        def give(number: int) -> tuple[int, int]:
            first, second = (bot_a, bot_b) if number % 2 else (bot_b, bot_a)
            person = Teammate(first, responses, f"U0P{number:03d}")
            event = {
                "type": "message",
                "channel": CHANNEL,
                "user": person.user,
                "text": f"critique: point {number}",
                "ts": f"1800000000.{number:06d}",
                "thread_ts": run.thread_ts,
                "channel_type": "channel",
            }
            event_id = f"Ev0SCALE{number:04d}"
            with ThreadPoolExecutor(max_workers=2) as pair:
                statuses = pair.map(
                    lambda target: (
                        target[0]
                        .post(person.signer.event(event, event_id=event_id, retry_num=target[1]))
                        .status
                    ),
                    [(first, None), (second, 1)],
                )
                first_status, second_status = statuses
                return first_status, second_status

        with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
            statuses = list(pool.map(give, range(PEOPLE)))
    assert statuses == [(200, 200)] * PEOPLE

    def change_messages() -> list[dict[str, Any]] | None:
        found = [
            m
            for m in thread_messages(cluster.slack, run.thread_ts)
            if with_action(m, feedback_views.UNDO_ACTION)
        ]
        return found if len(found) >= PEOPLE else None

    wait_until(change_messages, 60, what=f"{PEOPLE} principle changes")
    store = PromptStore(client, workspace)
    versions = store.versions("uses")
    # One new version per person: nobody's feedback was lost, nobody's applied twice.
    assert [v.version for v in versions] == list(range(1, PEOPLE + 2))
    assert sorted(store.current("uses").prompt.principles) == sorted(
        f"Follow this: point {n}" for n in range(PEOPLE)
    )
    # The bot's own answers (one change message per piece) were posted once each.
    assert len(change_messages() or []) == PEOPLE
    client.close()


def run_in_channel(
    slack: SlackEmulator, client: redis.Redis, workspace: Workspace
) -> RunRecord | None:
    roots = [m for m in slack.channel_messages(CHANNEL) if not m.get("thread_ts")]
    for root in roots:
        run = RunStore(client, workspace).run_in_thread(CHANNEL, root["ts"])
        if run is not None:
            return run
    return None


def test_each_training_step_runs_on_exactly_one_worker(cluster: Cluster) -> None:
    settings = load_settings(cluster.env, dotenv_path=None)
    services = Services(settings=settings, redis_connection=RedisConnection(cluster.server.url))
    try:
        runtime = TrainingRuntime(services, TrainingConfig())
        handle = start_training(
            services, WORKSPACE, training_request(labelled_frame(), steps=3), runtime=runtime
        )
        runs = TrainingRuns(services.redis, WORKSPACE)

        def finished() -> bool:
            run = runs.load(handle.run_id)
            return run is not None and run.status == FINISHED

        wait_until(finished, 90, interval=0.2, what="the training to finish")
        checkpoints = LabelerStore(services.redis, WORKSPACE).versions("hate")
        # The last step's job ends a moment after it marks the run finished.
        jobs = BotMetrics(services.redis)
        wait_until(
            lambda: sum(sum(counts) for counts, _ in jobs.jobs.read().values()) >= 3,
            15,
            what="three step jobs to be counted",
        )
        outcomes = {labels[1]: sum(counts) for labels, (counts, _) in jobs.jobs.read().items()}
        queue_left = runtime.queue().count
    finally:
        services.close()

    # Which worker started which step's job, read from each worker's own log.
    started: dict[int, list[tuple[int, str]]] = {}
    for number, worker in enumerate(cluster.workers):
        for match in re.finditer(r"step (\d+) of 3 \((train-[^)]+)\)", worker.output()):
            started.setdefault(int(match.group(1)), []).append((number, match.group(2)))
    assert sorted(started) == [1, 2, 3]
    assert all(len(runs_of_step) == 1 for runs_of_step in started.values()), started
    assert len({job for runs_of_step in started.values() for _, job in runs_of_step}) == 3
    # Three steps, three checkpoints: none was trained twice.
    assert len(checkpoints) == 3
    # Every job a worker ran did real work: none found its step already done by another.
    assert outcomes == {"done": 2, "finished": 1}
    assert queue_left == 0
