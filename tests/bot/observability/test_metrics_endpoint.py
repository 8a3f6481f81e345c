"""``GET /metrics`` on a running bot: every family is there, and the values move as the bot
acks requests, calls the model, and as workers (other processes) run jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.serializers import JSONSerializer

from bot.observability.metrics import BotMetrics
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.slack_emulator import BOT_USER_ID, SlackEmulator
from tests.fakes.slack_signing import SlackSigner
from tests.fakes.slash_commands import CHANNEL, Person, ResponseUrlServer

MODEL = "gemini:gemini-2.5-flash"  # the spec the test bot runs with

FAMILIES = {
    "alignbot_ack_seconds": "histogram",
    "alignbot_events_total": "counter",
    "alignbot_event_wait_seconds": "histogram",
    "alignbot_model_call_seconds": "histogram",
    "alignbot_model_calls_total": "counter",
    "alignbot_model_errors_total": "counter",
    "alignbot_job_duration_seconds": "histogram",
    "alignbot_jobs_total": "counter",
    "alignbot_queue_depth": "gauge",
    "alignbot_redis_up": "gauge",
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(bot: BotProcess) -> Samples:
    answer = bot.get("/metrics")
    assert answer.status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Summed over every label not given."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


@pytest.fixture
def person(bot_process: Callable[..., BotProcess], fake_gemini: FakeGemini) -> Iterator[Person]:
    with ResponseUrlServer() as responses:
        yield Person(bot_process(model_env=fake_gemini.env), responses)


def test_every_family_is_exposed_before_anything_happens(person: Person) -> None:
    answer = person.bot.get("/metrics")

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    for name, kind in FAMILIES.items():
        assert f"# TYPE {name} {kind}" in answer.body, name
    samples = scrape(person.bot)
    assert value(samples, "alignbot_redis_up") == 1
    assert value(samples, "alignbot_queue_depth", queue="alignbot-training") == 0


def test_acks_and_events_are_counted_by_type_and_outcome(
    person: Person, signer: SlackSigner, slack: SlackEmulator
) -> None:
    bot = person.bot
    before = scrape(bot)

    person.ask("help")
    mention = {
        "type": "app_mention",
        "user": "U0PERSON1",
        "text": f"<@{BOT_USER_ID}> help",
        "channel": CHANNEL,
        "ts": "1700000000.000100",
    }
    assert bot.event(mention, event_id="Ev0METRICS01").status == 200
    # Slack delivers it again (a slow ack, say): acked, dropped, never handled twice.
    assert bot.event(mention, event_id="Ev0METRICS01", retry_num=1).status == 200
    forged = bot.post(signer.command("help", secret="not-the-signing-secret"))
    assert forged.status == 401
    slack.wait_for("chat.postEphemeral")  # the answer to the mention, seen only by its author
    waits = "alignbot_event_wait_seconds_count"

    def repeat_dropped() -> bool:
        dropped = value(scrape(bot), waits, type="app_mention", outcome="dropped")
        return dropped - value(before, waits, type="app_mention", outcome="dropped") == 1

    # The event process decides about the repeat after the first is answered.
    wait_until(repeat_dropped, 10, what="the repeated mention to be dropped")
    after = scrape(bot)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("alignbot_events_total", type="slash_command", outcome="handled") == 1
    # Both copies of the mention were acked and queued; one was applied, the repeat dropped.
    assert moved("alignbot_events_total", type="app_mention", outcome="queued") == 2
    assert moved(waits, type="app_mention", outcome="handled") == 1
    assert moved(waits, type="app_mention", outcome="dropped") == 1
    assert moved("alignbot_events_total", type="unverified", outcome="rejected") == 1
    assert moved("alignbot_ack_seconds_count", kind="command") == 1
    assert moved("alignbot_ack_seconds_count", kind="event") == 2
    assert moved("alignbot_ack_seconds_count", kind="other") == 1
    # Every ack was observed into some bucket no later than +Inf, with a positive duration.
    assert moved("alignbot_ack_seconds_bucket", kind="event", le="+Inf") == 2
    assert moved("alignbot_ack_seconds_sum", kind="event") > 0


def test_model_calls_errors_and_latency_are_counted_by_model(
    person: Person, fake_gemini: FakeGemini, slack: SlackEmulator
) -> None:
    bot = person.bot
    person.ask("new uses Give three uses for {item}.")
    fake_gemini.queue("cut, fold, open")
    person.send("run uses item=scissors")
    wait_until(
        lambda: value(scrape(bot), "alignbot_model_calls_total", model=MODEL) == 1,
        15,
        what="the first model call to be counted",
    )
    fake_gemini.queue(status=400, message="the prompt was refused")
    assert "The model failed" in person.ask("run uses item=paper")

    samples = scrape(bot)
    assert value(samples, "alignbot_model_calls_total", model=MODEL) == 2
    assert total(samples, "alignbot_model_errors_total", model=MODEL) == 1
    assert value(samples, "alignbot_model_call_seconds_count", model=MODEL, outcome="ok") == 1
    assert value(samples, "alignbot_model_call_seconds_sum", model=MODEL, outcome="ok") > 0
    assert len(fake_gemini.requests) == 2


def test_queue_depth_and_jobs_run_by_other_processes_are_served(
    person: Person, redis_url: str, redis_client: redis.Redis
) -> None:
    """The test process plays a worker: what it records in Redis, the bot reports."""
    bot = person.bot
    rq_client = redis.Redis.from_url(redis_url)
    try:
        waiting = Queue("observability-probe", connection=rq_client, serializer=JSONSerializer)
        for number in range(3):
            waiting.enqueue_call("builtins.print", args=[number])
        worker_metrics = BotMetrics(redis_client)
        worker_metrics.observe_job("training_step", "done", 12.0)
        worker_metrics.observe_job("training_step", "done", 30.0)
        worker_metrics.observe_job("training_step", "failed", 3.0)

        samples = scrape(bot)
        assert value(samples, "alignbot_queue_depth", queue="observability-probe") == 3
        assert value(samples, "alignbot_jobs_total", kind="training_step", outcome="done") == 2
        assert value(samples, "alignbot_jobs_total", kind="training_step", outcome="failed") == 1
        done_sum = value(
            samples, "alignbot_job_duration_seconds_sum", kind="training_step", outcome="done"
        )
        assert done_sum == pytest.approx(42.0)

        waiting.empty()
        assert value(scrape(bot), "alignbot_queue_depth", queue="observability-probe") == 0
    finally:
        rq_client.close()
