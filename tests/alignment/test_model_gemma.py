"""GemmaModelHelper over real HTTP against the fake OpenAI-compatible server, as Ollama."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from alignment import model_helper
from alignment.model_helper import OLLAMA_BASE_URL, GemmaModelHelper
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    clear_model_env(monkeypatch)
    with FakeOpenAI() as fake:
        yield fake


def test_a_served_model_name_is_asked_for_as_given(server: FakeOpenAI) -> None:
    server.queue("Cut paper.")
    helper = GemmaModelHelper(
        "gemma3:4b", base_url=server.base_url, retry=RecordedSleeps().policy(1)
    )

    answer = helper.predict("Name one use of scissors", 0.3, max_output_tokens=20)

    assert answer == "Cut paper."
    (request,) = server.requests
    assert request.body is not None
    assert request.body["model"] == "gemma3:4b"
    assert request.body["messages"] == [{"role": "user", "content": "Name one use of scissors"}]
    assert request.body["max_tokens"] == 20


def test_base_url_comes_from_openai_base_url(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.queue("hello")

    assert GemmaModelHelper("gemma3:1b").predict("Say hello", 0.0) == "hello"
    assert len(server.requests) == 1


def test_ollama_on_this_machine_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)
    assert GemmaModelHelper().base_url == OLLAMA_BASE_URL == "http://localhost:11434/v1"


def test_the_openai_key_is_never_sent_to_the_local_server(
    server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key")
    server.queue("one")
    server.queue("two")

    GemmaModelHelper("gemma3:4b", base_url=server.base_url).predict("x", 0.0)
    GemmaModelHelper("gemma3:4b", server.base_url, "vllm-key").predict("x", 0.0)

    auth = [request.headers.get("authorization") for request in server.requests]
    assert auth == ["Bearer not-needed", "Bearer vllm-key"]


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("gemma2_instruct_2b_en", "gemma2:2b"),
        ("gemma_instruct_7b_en", "gemma:7b"),
        ("gemma_1.1_instruct_2b_en", "gemma:2b"),
        ("gemma3_instruct_12b", "gemma3:12b"),
        ("google/gemma-2-9b-it", "google/gemma-2-9b-it"),
    ],
)
def test_keras_preset_names_of_the_seed_are_translated(
    server: FakeOpenAI, caplog: pytest.LogCaptureFixture, asked: str, served: str
) -> None:
    server.queue("ok")
    with caplog.at_level(logging.WARNING, logger="alignment._providers.gemma"):
        helper = GemmaModelHelper(asked, base_url=server.base_url)
    helper.predict("x", 0.0)

    assert helper.model_name == served
    assert server.requests[0].body is not None
    assert server.requests[0].body["model"] == served
    assert (asked in caplog.text) == (asked != served)


def test_the_seed_default_is_gemma2_2b(server: FakeOpenAI) -> None:
    helper = GemmaModelHelper(base_url=server.base_url)
    assert helper.model_name == "gemma2:2b"
    assert isinstance(helper, model_helper.ModelHelper)
