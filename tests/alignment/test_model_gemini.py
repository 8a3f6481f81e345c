"""GeminiModelHelper over real HTTP against the fake Gemini server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from alignment._providers.gemini import GeminiModelHelper
from alignment._providers.retry import RetryPolicy
from alignment.errors import (
    ModelAuthError,
    ModelConfigError,
    ModelNotFoundError,
    ModelRequestError,
    ModelUnavailableError,
)
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.fakes.gemini_server import FakeGemini, GeminiReply, model_of, prompt_text
from tests.fakes.http_server import RecordedRequest


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    clear_model_env(monkeypatch)
    with FakeGemini() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def make_helper(sleeps: RecordedSleeps, max_attempts: int = 5, **options: Any) -> GeminiModelHelper:
    return GeminiModelHelper(retry=sleeps.policy(max_attempts), **options)


def generation_config(request: RecordedRequest) -> dict[str, Any]:
    config = request.body["generationConfig"]
    assert isinstance(config, dict)
    return config


def thinking_of(request: RecordedRequest) -> dict[str, Any] | None:
    thinking = generation_config(request).get("thinkingConfig")
    if thinking is None:
        return None
    # The SDK passes this object through in its field spelling; the service reads either.
    return {key.replace("_", "").lower(): value for key, value in thinking.items()}


def test_request_carries_every_generation_option(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue("Hello there.")
    helper = make_helper(sleeps, model_name="gemini-2.5-flash")

    answer = helper.predict("Say hello", 0.3, stop_sequences=["END"], max_output_tokens=64)

    assert answer == "Hello there."
    (request,) = gemini.requests
    assert model_of(request) == "gemini-2.5-flash"
    assert request.headers["x-goog-api-key"] == gemini.env["GEMINI_API_KEY"]
    assert prompt_text(request) == "Say hello"
    config = generation_config(request)
    assert config["temperature"] == 0.3
    assert config["stopSequences"] == ["END"]
    assert config["candidateCount"] == 1
    assert config["maxOutputTokens"] == 64
    assert thinking_of(request) == {"thinkingbudget": 0}
    assert {item["category"]: item["threshold"] for item in request.body["safetySettings"]} == {
        "HARM_CATEGORY_HARASSMENT": "BLOCK_NONE",
        "HARM_CATEGORY_HATE_SPEECH": "BLOCK_NONE",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT": "BLOCK_NONE",
        "HARM_CATEGORY_DANGEROUS_CONTENT": "BLOCK_NONE",
    }


def test_unset_options_are_left_out(gemini: FakeGemini, sleeps: RecordedSleeps) -> None:
    gemini.queue("ok")
    make_helper(sleeps).predict("p", 0.0)
    config = generation_config(gemini.requests[0])
    assert "stopSequences" not in config
    assert "maxOutputTokens" not in config


@pytest.mark.parametrize(
    ("model_name", "expected"),
    [
        ("gemini-2.5-flash-lite", {"thinkingbudget": 0}),
        ("gemini-2.5-pro", {"thinkingbudget": 128}),
        ("gemini-3-flash-preview", {"thinkinglevel": "MINIMAL"}),
        ("gemini-3-pro-preview", {"thinkinglevel": "LOW"}),
        ("gemini-2.0-flash", None),
    ],
)
def test_thinking_defaults_to_the_models_minimum(
    gemini: FakeGemini, sleeps: RecordedSleeps, model_name: str, expected: dict[str, Any] | None
) -> None:
    gemini.queue("ok")
    make_helper(sleeps, model_name=model_name).predict("p", 0.0)
    assert thinking_of(gemini.requests[0]) == expected


def test_thinking_and_safety_are_configurable(gemini: FakeGemini, sleeps: RecordedSleeps) -> None:
    gemini.queue("ok")
    helper = make_helper(
        sleeps,
        thinking_budget=512,
        safety_threshold="BLOCK_ONLY_HIGH",
        safety_settings={"HARM_CATEGORY_HATE_SPEECH": "BLOCK_LOW_AND_ABOVE"},
    )
    helper.predict("p", 0.0)
    request = gemini.requests[0]
    assert thinking_of(request) == {"thinkingbudget": 512}
    thresholds = {item["category"]: item["threshold"] for item in request.body["safetySettings"]}
    assert thresholds["HARM_CATEGORY_HATE_SPEECH"] == "BLOCK_LOW_AND_ABOVE"
    assert thresholds["HARM_CATEGORY_HARASSMENT"] == "BLOCK_ONLY_HIGH"


def test_several_candidates_come_back_as_a_list(gemini: FakeGemini, sleeps: RecordedSleeps) -> None:
    gemini.queue(texts=["first", "second", "third"])
    answers = make_helper(sleeps).predict("p", 0.9, candidate_count=3)
    assert answers == ["first", "second", "third"]
    assert generation_config(gemini.requests[0])["candidateCount"] == 3


def test_structured_output_asks_for_json_with_the_schema(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
    gemini.queue('{"label": "toxic"}')
    answer = make_helper(sleeps).predict_json("classify", schema, 0.0, max_output_tokens=20)
    assert answer == '{"label": "toxic"}'
    config = generation_config(gemini.requests[0])
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == schema
    assert config["maxOutputTokens"] == 20


def test_structured_output_can_use_the_openapi_schema_field(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}}
    gemini.queue('{"label": "ok"}')
    make_helper(sleeps, schema_style="openapi").predict_json("classify", schema, 0.0)
    config = generation_config(gemini.requests[0])
    assert config["responseMimeType"] == "application/json"
    assert "label" in config["responseSchema"]["properties"]
    assert "responseJsonSchema" not in config


def test_key_falls_back_to_google_api_key(
    gemini: FakeGemini, sleeps: RecordedSleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    gemini.queue("ok")
    make_helper(sleeps).predict("p", 0.0)
    assert gemini.requests[0].headers["x-goog-api-key"] == "google-key"


def test_missing_key_names_the_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)
    with pytest.raises(ModelConfigError) as raised:
        GeminiModelHelper()
    assert "GEMINI_API_KEY" in str(raised.value)
    assert "aistudio.google.com" in str(raised.value)


def test_rate_limit_is_retried_after_the_servers_retry_info(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue(status=429, retry_delay="2.5s", message="Quota exceeded")
    gemini.queue("finally")
    helper = make_helper(sleeps)
    assert helper.predict("p", 0.0) == "finally"
    assert sleeps == [2.5]
    assert len(gemini.requests) == 2
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.requests, usage.retries, usage.errors) == (1, 2, 1, 0)


def test_server_error_is_retried_after_retry_after_header(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue(status=503, headers={"Retry-After": "7"})
    gemini.queue("back")
    assert make_helper(sleeps).predict("p", 0.0) == "back"
    assert sleeps == [7.0]


def test_gives_up_after_the_bound(gemini: FakeGemini, sleeps: RecordedSleeps) -> None:
    for _ in range(3):
        gemini.queue(status=500, message="backend exploded")
    gemini.queue("never reached")
    helper = make_helper(sleeps, max_attempts=3)
    with pytest.raises(ModelUnavailableError) as raised:
        helper.predict("p", 0.0)
    assert raised.value.attempts == 3
    assert "3 attempt" in str(raised.value)
    assert "backend exploded" in str(raised.value)
    assert len(gemini.requests) == 3
    assert len(sleeps) == 2
    assert helper.usage.snapshot().errors == 1


def test_bad_request_is_raised_at_once_with_the_servers_reason(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue(status=400, message="temperature must be between 0 and 2")
    gemini.queue("never reached")
    with pytest.raises(ModelRequestError) as raised:
        make_helper(sleeps).predict("p", 7.0)
    assert "temperature must be between 0 and 2" in str(raised.value)
    assert len(gemini.requests) == 1
    assert sleeps == []


def test_unknown_api_key_says_to_check_the_key(
    monkeypatch: pytest.MonkeyPatch, sleeps: RecordedSleeps
) -> None:
    clear_model_env(monkeypatch)
    with FakeGemini(api_key="the-right-key") as server:
        server.queue("never reached")
        helper = make_helper(sleeps, api_key="a-wrong-key", base_url=server.url)
        with pytest.raises(ModelAuthError) as raised:
            helper.predict("p", 0.0)
    assert "GEMINI_API_KEY" in str(raised.value)
    assert sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_say_to_check_the_key(
    gemini: FakeGemini, sleeps: RecordedSleeps, status: int
) -> None:
    gemini.queue(status=status)
    with pytest.raises(ModelAuthError) as raised:
        make_helper(sleeps).predict("p", 0.0)
    assert "GEMINI_API_KEY" in str(raised.value)


def test_unknown_model_says_to_choose_a_listed_one(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue(status=404, message="models/gemini-9 is not found")
    with pytest.raises(ModelNotFoundError) as raised:
        make_helper(sleeps, model_name="gemini-9").predict("p", 0.0)
    assert "'gemini-9'" in str(raised.value)
    assert "models.list()" in str(raised.value)


def test_hanging_server_times_out_and_is_retried_to_the_bound(
    gemini: FakeGemini, sleeps: RecordedSleeps
) -> None:
    gemini.queue(delay=30)
    gemini.queue(delay=30)
    helper = make_helper(sleeps, max_attempts=2, timeout=0.3)
    with pytest.raises(ModelUnavailableError) as raised:
        helper.predict("p", 0.0)
    assert raised.value.attempts == 2
    assert "did not answer within 0.3s" in str(raised.value)
    assert len(gemini.requests) == 2


def test_unreachable_server_is_retried_then_reported(
    monkeypatch: pytest.MonkeyPatch, sleeps: RecordedSleeps
) -> None:
    clear_model_env(monkeypatch)
    with FakeGemini() as server:
        closed_url = server.url
    helper = make_helper(sleeps, max_attempts=2, api_key="k", base_url=closed_url)
    with pytest.raises(ModelUnavailableError) as raised:
        helper.predict("p", 0.0)
    assert "could not reach" in str(raised.value)
    assert len(sleeps) == 1


def test_safety_block_returns_empty_and_logs_the_filter(
    gemini: FakeGemini, sleeps: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    gemini.queue("", finish_reason="SAFETY")
    with caplog.at_level(logging.WARNING, logger="alignment._providers.gemini"):
        assert make_helper(sleeps).predict("p", 0.0) == ""
    messages = [record.getMessage() for record in caplog.records]
    assert any("content filter" in m and "HARM_CATEGORY_HARASSMENT" in m for m in messages)
    assert not any("token limit" in m for m in messages)


def test_blocked_prompt_returns_empty_for_every_candidate(
    gemini: FakeGemini, sleeps: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    gemini.queue(block_reason="PROHIBITED_CONTENT")
    with caplog.at_level(logging.WARNING, logger="alignment._providers.gemini"):
        assert make_helper(sleeps).predict("p", 0.0, candidate_count=2) == ["", ""]
    messages = [record.getMessage() for record in caplog.records]
    assert any("refused the prompt" in m and "PROHIBITED_CONTENT" in m for m in messages)
    assert len(gemini.requests) == 1


def test_answer_cut_by_token_limit_returns_empty_and_logs_the_limit(
    gemini: FakeGemini, sleeps: RecordedSleeps, caplog: pytest.LogCaptureFixture
) -> None:
    gemini.queue("", finish_reason="MAX_TOKENS", thinking_tokens=40)
    helper = make_helper(sleeps)
    with caplog.at_level(logging.WARNING, logger="alignment._providers.gemini"):
        assert helper.predict("p", 0.0, max_output_tokens=40) == ""
    messages = [record.getMessage() for record in caplog.records]
    assert any("token limit" in m and "max_output_tokens=40" in m for m in messages)
    assert not any("content filter" in m for m in messages)
    assert helper.usage.snapshot().empty_answers == 1


def test_usage_adds_up_tokens_calls_and_errors(gemini: FakeGemini, sleeps: RecordedSleeps) -> None:
    gemini.queue("one", prompt_tokens=10, output_tokens=3, thinking_tokens=5)
    gemini.queue(texts=["a", "b"], prompt_tokens=7, output_tokens=2)
    gemini.queue(status=400)
    helper = make_helper(sleeps)
    helper.predict("p", 0.0)
    helper.predict("p", 0.0, candidate_count=2)
    with pytest.raises(ModelRequestError):
        helper.predict("p", 0.0)
    assert helper.usage.as_dict() == {
        "calls": 3,
        "requests": 3,
        "retries": 0,
        "errors": 1,
        "empty_answers": 0,
        "prompt_tokens": 17,
        "output_tokens": 5,
        "thinking_tokens": 5,
    }


def test_one_helper_serves_many_threads_within_its_cap(sleeps: RecordedSleeps) -> None:
    def echo(request: RecordedRequest) -> GeminiReply:
        return GeminiReply(text=f"echo {prompt_text(request)}", delay=0.05)

    with FakeGemini(responder=echo) as server:
        helper = make_helper(sleeps, api_key="k", base_url=server.url, max_concurrent_calls=3)
        prompts = [f"prompt-{n}" for n in range(16)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda p: helper.predict(p, 0.0), prompts))
        peak = server.peak_in_flight
    assert answers == [f"echo {p}" for p in prompts]
    assert 1 <= peak <= 3
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.requests) == (16, 16)


def test_model_name_is_exposed(gemini: FakeGemini) -> None:
    helper = GeminiModelHelper(model_name="gemini-2.5-pro", retry=RetryPolicy(max_attempts=1))
    assert helper.model_name == "gemini-2.5-pro"
