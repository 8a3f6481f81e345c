"""OpenAICompatibleModelHelper over real HTTP against the fake chat-completions server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment.errors import (
    ModelAuthError,
    ModelConfigError,
    ModelNotFoundError,
    ModelRequestError,
    ModelResponseError,
    ModelUnavailableError,
)
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.fakes.http_server import RecordedRequest
from tests.fakes.openai_server import FakeOpenAI, OpenAIReply, prompt_text


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    clear_model_env(monkeypatch)
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        yield fake


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def make_helper(
    sleeps: RecordedSleeps, max_attempts: int = 5, model_name: str = "llama3.1", **options: Any
) -> OpenAICompatibleModelHelper:
    return OpenAICompatibleModelHelper(model_name, retry=sleeps.policy(max_attempts), **options)


def test_request_carries_every_generation_option(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    server.queue("Hello there.")
    answer = make_helper(sleeps).predict(
        "Say hello", 0.4, stop_sequences=["END"], max_output_tokens=64
    )
    assert answer == "Hello there."
    (request,) = server.requests
    assert request.body == {
        "model": "llama3.1",
        "messages": [{"role": "user", "content": "Say hello"}],
        "temperature": 0.4,
        "stop": ["END"],
        "max_tokens": 64,
    }
    # No key anywhere, but a local base URL: a placeholder key is sent.
    assert request.headers["authorization"] == "Bearer not-needed"


def test_openai_itself_gets_max_completion_tokens(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    server.queue("ok")
    make_helper(sleeps, max_tokens_param="max_completion_tokens").predict(
        "p", 0.0, max_output_tokens=10
    )
    body = server.requests[0].body
    assert body["max_completion_tokens"] == 10
    assert "max_tokens" not in body


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("http://localhost:11434/v1", "max_tokens"),
    ],
)
def test_max_tokens_field_follows_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, base_url: str | None, expected: str
) -> None:
    clear_model_env(monkeypatch)
    helper = OpenAICompatibleModelHelper("some-model", api_key="sk-test", base_url=base_url)
    assert helper.max_tokens_param == expected


def test_key_and_base_url_come_from_the_environment(
    server: FakeOpenAI, sleeps: RecordedSleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server.queue("ok")
    helper = make_helper(sleeps)
    helper.predict("p", 0.0)
    assert helper.base_url == server.base_url
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"


def test_missing_key_for_openai_itself_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_model_env(monkeypatch)
    with pytest.raises(ModelConfigError) as raised:
        OpenAICompatibleModelHelper("gpt-4o-mini")
    assert "OPENAI_API_KEY" in str(raised.value)
    assert "OPENAI_BASE_URL" in str(raised.value)


def test_candidates_use_n(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue(texts=["one", "two", "three"])
    assert make_helper(sleeps).predict("p", 0.9, candidate_count=3) == ["one", "two", "three"]
    assert server.requests[0].body["n"] == 3


def test_missing_candidates_are_made_up_with_more_calls(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    # A server that ignores ``n`` and always sends a single choice.
    server.queue("a")
    server.queue("b")
    server.queue("c")
    helper = make_helper(sleeps)
    assert helper.predict("p", 0.9, candidate_count=3) == ["a", "b", "c"]
    assert [request.body.get("n") for request in server.requests] == [3, 2, None]
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.requests) == (1, 3)


def test_a_reply_without_choices_is_an_error(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue(texts=[])
    with pytest.raises(ModelResponseError):
        make_helper(sleeps).predict("p", 0.0)


def test_structured_output_sends_a_json_schema_response_format(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
    server.queue('{"label": "spam"}')
    assert make_helper(sleeps).predict_json("classify", schema, 0.0) == '{"label": "spam"}'
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": schema, "strict": False},
    }


def test_rate_limit_is_retried_after_retry_after(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    server.queue(status=429, headers={"Retry-After": "3"})
    server.queue("done")
    helper = make_helper(sleeps)
    assert helper.predict("p", 0.0) == "done"
    assert sleeps == [3.0]
    assert helper.usage.snapshot().retries == 1


def test_retry_after_ms_is_preferred(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue(status=503, headers={"retry-after-ms": "1500", "Retry-After": "9"})
    server.queue("done")
    assert make_helper(sleeps).predict("p", 0.0) == "done"
    assert sleeps == [1.5]


def test_gives_up_after_the_bound(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    for _ in range(2):
        server.queue(status=502, message="upstream down")
    server.queue("never reached")
    with pytest.raises(ModelUnavailableError) as raised:
        make_helper(sleeps, max_attempts=2).predict("p", 0.0)
    assert raised.value.attempts == 2
    assert len(server.requests) == 2


def test_bad_request_is_raised_at_once(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue(status=400, message="'stop' has too many items")
    server.queue("never reached")
    with pytest.raises(ModelRequestError) as raised:
        make_helper(sleeps).predict("p", 0.0)
    assert "'stop' has too many items" in str(raised.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_says_to_check_openai_api_key(
    server: FakeOpenAI, sleeps: RecordedSleeps, status: int
) -> None:
    server.queue(status=status, message="Incorrect API key provided")
    with pytest.raises(ModelAuthError) as raised:
        make_helper(sleeps).predict("p", 0.0)
    assert "OPENAI_API_KEY" in str(raised.value)
    assert len(server.requests) == 1


def test_unknown_model_says_how_to_get_one(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue(status=404, message="model 'llama9' not found")
    with pytest.raises(ModelNotFoundError) as raised:
        make_helper(sleeps, model_name="llama9").predict("p", 0.0)
    assert "ollama pull llama9" in str(raised.value)
    assert "/models" in str(raised.value)


def test_hanging_server_times_out_and_is_retried_to_the_bound(
    server: FakeOpenAI, sleeps: RecordedSleeps
) -> None:
    server.queue(delay=30)
    server.queue(delay=30)
    with pytest.raises(ModelUnavailableError) as raised:
        make_helper(sleeps, max_attempts=2, timeout=0.3).predict("p", 0.0)
    assert "did not answer within 0.3s" in str(raised.value)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("finish_reason", "expected", "unexpected"),
    [
        ("length", "output token limit", "content filter"),
        ("content_filter", "content filter", "token limit"),
    ],
)
def test_empty_answers_say_why(
    server: FakeOpenAI,
    sleeps: RecordedSleeps,
    caplog: pytest.LogCaptureFixture,
    finish_reason: str,
    expected: str,
    unexpected: str,
) -> None:
    server.queue("", finish_reason=finish_reason)
    with caplog.at_level(logging.WARNING, logger="alignment._providers.openai_compatible"):
        assert make_helper(sleeps).predict("p", 0.0, max_output_tokens=5) == ""
    messages = [record.getMessage() for record in caplog.records]
    assert any(expected in m for m in messages)
    assert not any(unexpected in m for m in messages)


def test_usage_counts_reported_tokens(server: FakeOpenAI, sleeps: RecordedSleeps) -> None:
    server.queue("a", prompt_tokens=11, output_tokens=4)
    server.queue("b", prompt_tokens=9, output_tokens=6)
    helper = make_helper(sleeps)
    helper.predict("p", 0.0)
    helper.predict("p", 0.0)
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.prompt_tokens, usage.output_tokens) == (2, 20, 10)


def test_one_helper_serves_many_threads(
    sleeps: RecordedSleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_model_env(monkeypatch)

    def echo(request: RecordedRequest) -> OpenAIReply:
        return OpenAIReply(text=prompt_text(request).upper(), delay=0.02)

    with FakeOpenAI(responder=echo) as fake:
        helper = make_helper(sleeps, base_url=fake.base_url, max_concurrent_calls=2)
        prompts = [f"p{n}" for n in range(12)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda p: helper.predict(p, 0.0), prompts))
        peak = fake.peak_in_flight
    assert answers == [p.upper() for p in prompts]
    assert 1 <= peak <= 2
    assert helper.usage.snapshot().calls == 12
