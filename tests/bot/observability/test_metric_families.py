"""The metric families themselves: Redis-backed histograms shared by processes, job timing,
metered model helpers, and scrapes that survive a Redis outage."""

from __future__ import annotations

import json

import pytest
import redis
from prometheus_client import generate_latest

from alignment._providers.base import SupportsStructuredOutput
from alignment.errors import ModelRequestError
from bot.models.metered import MeteredModel, metered
from bot.observability.metrics import MODEL_OK, BotMetrics, outcome_label
from bot.observability.shared_metrics import CountOf, SharedHistogram, SharedHistogramCollector
from tests.fakes.bot_harness import free_port
from tests.fakes.models import ScriptedModel, StructuredScriptedModel


def histogram(client: redis.Redis) -> SharedHistogram:
    return SharedHistogram(
        client, "alignbot:metrics:test", "test_seconds", "A test.", ["kind", "outcome"], [1, 5]
    )


def test_observations_land_in_cumulative_buckets_with_their_sum(
    redis_client: redis.Redis,
) -> None:
    shared = histogram(redis_client)
    for seconds in (0.5, 1.0, 3.0, 7.0):
        shared.observe(("step", "done"), seconds)
    shared.observe(("step", "failed"), 2.0)

    [family] = SharedHistogramCollector(shared).collect()
    samples = {
        (s.name, s.labels.get("outcome"), s.labels.get("le")): s.value for s in family.samples
    }
    assert samples[("test_seconds_bucket", "done", "1.0")] == 2  # 0.5 and exactly 1.0
    assert samples[("test_seconds_bucket", "done", "5.0")] == 3
    assert samples[("test_seconds_bucket", "done", "+Inf")] == 4
    assert samples[("test_seconds_count", "done", None)] == 4
    assert samples[("test_seconds_sum", "done", None)] == pytest.approx(11.5)
    assert samples[("test_seconds_bucket", "failed", "1.0")] == 0
    assert samples[("test_seconds_count", "failed", None)] == 1


def test_two_processes_add_to_the_same_totals(redis_url: str, redis_client: redis.Redis) -> None:
    # Each "process" has its own client and its own histogram object, as a bot and a worker do.
    other = redis.Redis.from_url(redis_url, decode_responses=False)
    try:
        histogram(redis_client).observe(("step", "done"), 0.5)
        histogram(other).observe(("step", "done"), 2.0)
        read_by_first = histogram(redis_client).read()
        read_by_other = histogram(other).read()
    finally:
        other.close()

    assert read_by_first == read_by_other == {("step", "done"): ([1, 1, 0], 2.5)}


def test_derived_counters_sum_and_filter_the_histogram_counts(redis_client: redis.Redis) -> None:
    shared = histogram(redis_client)
    shared.observe(("a", "ok"), 0.1)
    shared.observe(("a", "Timeout"), 0.1)
    shared.observe(("a", "Timeout"), 9.0)
    shared.observe(("b", "ok"), 0.1)
    collector = SharedHistogramCollector(
        shared,
        [
            CountOf("calls", "All calls.", {"kind": "kind"}),
            CountOf(
                "errors",
                "Failed calls.",
                {"kind": "kind", "error": "outcome"},
                keep=lambda labels: labels["outcome"] != "ok",
            ),
        ],
    )

    _, calls, errors = collector.collect()
    assert {(s.labels["kind"], s.value) for s in calls.samples if s.name == "calls_total"} == {
        ("a", 3),
        ("b", 1),
    }
    assert [(s.labels, s.value) for s in errors.samples if s.name == "errors_total"] == [
        ({"kind": "a", "error": "Timeout"}, 2)
    ]


def test_label_values_must_match_the_label_names(redis_client: redis.Redis) -> None:
    with pytest.raises(ValueError):
        histogram(redis_client).observe(("only-one",), 1.0)


# -- jobs -------------------------------------------------------------------------------------


class SteppingClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_timed_jobs_record_duration_and_outcome(redis_client: redis.Redis) -> None:
    metrics = BotMetrics(redis_client)

    with metrics.timed_job("training_step", clock=SteppingClock(40.0)):
        pass
    with metrics.timed_job("training_step", clock=SteppingClock(2.0)) as outcome:
        outcome.value = "cancelled"
    with pytest.raises(RuntimeError), metrics.timed_job("training_step"):
        raise RuntimeError("the worker lost Redis")

    jobs = metrics.jobs.read()
    assert set(jobs) == {
        ("training_step", "succeeded"),
        ("training_step", "cancelled"),
        ("training_step", "error"),
    }
    counts, total = jobs[("training_step", "succeeded")]
    assert total == pytest.approx(40.0) and sum(counts) == 1
    assert metrics.sample("alignbot_jobs_total", kind="training_step", outcome="error") == 1


@pytest.mark.parametrize(
    ("result", "label"),
    [
        ("done", "done"),
        ("finished", "finished"),
        ("skipped: step 3 was already done", "skipped"),
        ("handed back: this worker is shutting down", "handed_back"),
        ("", "succeeded"),
    ],
)
def test_job_results_become_short_outcome_labels(result: str, label: str) -> None:
    assert outcome_label(result) == label


# -- models -----------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def __call__(self, model: str, outcome: str, seconds: float) -> None:
        self.calls.append((model, outcome, seconds))


def test_metered_model_times_answers_and_names_errors_by_class() -> None:
    def respond(request: object) -> str:
        prompt = getattr(request, "prompt", "")
        if prompt == "too fast":
            raise ModelRequestError("slow down")
        return f"answer to {prompt}"

    inner = ScriptedModel(responder=respond)
    seen = Recorder()
    model = MeteredModel(inner, "gemini:flash", seen, clock=SteppingClock(0.25))

    assert model.predict("hello", temperature=0.0) == "answer to hello"
    with pytest.raises(ModelRequestError):
        model.predict("too fast", temperature=0.0)

    assert seen.calls == [
        ("gemini:flash", MODEL_OK, 0.25),
        ("gemini:flash", "ModelRequestError", 0.25),
    ]
    # Everything else is the wrapped helper's.
    assert model.requests is inner.requests and model.model_name == "scripted"


def test_structured_output_is_offered_only_when_the_wrapped_helper_has_it() -> None:
    seen = Recorder()
    plain = metered(ScriptedModel(["x"]), "plain", seen)
    structured_inner = StructuredScriptedModel([json.dumps({"ok": True})])
    structured = metered(structured_inner, "structured", seen)

    assert not isinstance(plain, SupportsStructuredOutput)
    assert isinstance(structured, SupportsStructuredOutput)
    assert json.loads(structured.predict_json("q", {"type": "object"}, 0.0)) == {"ok": True}
    assert [call[:2] for call in seen.calls] == [("structured", MODEL_OK)]


def test_model_calls_by_any_process_show_up_as_calls_errors_and_latency(
    redis_client: redis.Redis,
) -> None:
    metrics = BotMetrics(redis_client)
    worker_side = BotMetrics(redis_client)  # another process, e.g. a worker
    metrics.observe_model_call("gemini:flash", MODEL_OK, 0.3)
    worker_side.observe_model_call("gemini:flash", MODEL_OK, 1.7)
    worker_side.observe_model_call("gemini:flash", "ModelTimeoutError", 60.0)

    assert metrics.sample("alignbot_model_calls_total", model="gemini:flash") == 3
    errors = metrics.sample(
        "alignbot_model_errors_total", model="gemini:flash", error="ModelTimeoutError"
    )
    assert errors == 1
    assert metrics.sample(
        "alignbot_model_call_seconds_sum", model="gemini:flash", outcome=MODEL_OK
    ) == pytest.approx(2.0)


# -- Redis outages ----------------------------------------------------------------------------


def test_a_scrape_without_redis_still_serves_the_process_metrics() -> None:
    unreachable = redis.Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2
    )
    metrics = BotMetrics(unreachable, rq_client=lambda: unreachable)
    metrics.events.labels("app_mention", "handled").inc()
    metrics.observe_model_call("gemini:flash", MODEL_OK, 1.0)  # lost, but does not raise

    text = generate_latest(metrics.registry).decode()

    assert 'alignbot_events_total{outcome="handled",type="app_mention"} 1.0' in text
    assert "alignbot_redis_up 0.0" in text
    assert "alignbot_model_calls_total{" not in text
