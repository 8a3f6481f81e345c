"""Both service helpers embed texts over real HTTP against the fake servers, with the same
retries, gate, concurrency cap and usage counts as generation."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from alignment._providers.base import SupportsEmbedding, embedding_helper
from alignment._providers.gemini import GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment.errors import ModelAuthError, ModelResponseError, ModelUnavailableError
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.fakes.embeddings import hash_embedding
from tests.fakes.gemini_server import FakeGemini, embedded_texts, embedding_model_of
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.openai_server import embedded_texts as openai_texts


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    clear_model_env(monkeypatch)
    with FakeGemini() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    clear_model_env(monkeypatch)
    with FakeOpenAI() as server:
        yield server


class CountingGate:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            self.count += 1


def test_gemini_embeds_in_batches_of_one_hundred_with_the_dimensions_asked(
    gemini: FakeGemini,
) -> None:
    helper = GeminiModelHelper(retry=RecordedSleeps().policy(), embedding_dimensions=6)
    texts = [f"row {number}" for number in range(150)]
    vectors = helper.embed(texts)
    assert np.allclose(vectors, [hash_embedding(text, 6) for text in texts])
    batches = [request for request in gemini.requests if embedding_model_of(request)]
    assert [len(embedded_texts(request)) for request in batches] == [100, 50]
    assert embedding_model_of(batches[0]) == "gemini-embedding-001"
    assert embedded_texts(batches[1])[0] == "row 100"
    assert helper.usage.snapshot().calls == 2
    assert isinstance(helper, SupportsEmbedding) and embedding_helper(helper) is helper


def test_gemini_embedding_is_retried_on_503_and_passes_the_gate(gemini: FakeGemini) -> None:
    sleeps = RecordedSleeps()
    helper = GeminiModelHelper(retry=sleeps.policy(), embedding_model="text-embedding-004")
    gate = CountingGate()
    helper.request_gate = gate
    gemini.queue_embedding(status=503)
    assert len(helper.embed(["one", "two"])) == 2
    assert len(sleeps) == 1 and gate.count == 2
    usage = helper.usage.snapshot()
    assert (usage.requests, usage.retries) == (2, 1)
    assert embedding_model_of(gemini.requests[-1]) == "text-embedding-004"


def test_gemini_embedding_gives_up_after_the_bound_and_refuses_a_bad_key(
    gemini: FakeGemini,
) -> None:
    helper = GeminiModelHelper(retry=RecordedSleeps().policy(max_attempts=2))
    gemini.queue_embedding(status=429)
    gemini.queue_embedding(status=429)
    with pytest.raises(ModelUnavailableError):
        helper.embed(["text"])
    assert helper.usage.snapshot().errors == 1
    bad = GeminiModelHelper(api_key="wrong", retry=RecordedSleeps().policy())
    gemini.api_key = "right"
    with pytest.raises(ModelAuthError):
        bad.embed(["text"])


def test_openai_embeds_through_base64_and_counts_tokens(openai_server: FakeOpenAI) -> None:
    helper = OpenAICompatibleModelHelper(
        "llama3.1", base_url=openai_server.base_url, retry=RecordedSleeps().policy()
    )
    vectors = helper.embed(["a short text", "another one here"])
    expected = [hash_embedding("a short text"), hash_embedding("another one here")]
    assert np.allclose(vectors, expected, atol=1e-6)
    request = openai_server.requests[-1]
    assert request.path == "/v1/embeddings"
    # A local server embeds with the chat model unless told another; the SDK asks for base64.
    assert request.body["model"] == "llama3.1"
    assert request.body["encoding_format"] == "base64"
    assert openai_texts(request) == ["a short text", "another one here"]
    assert helper.usage.snapshot().prompt_tokens == 6


def test_openai_embedding_is_retried_and_batched(openai_server: FakeOpenAI) -> None:
    sleeps = RecordedSleeps()
    helper = OpenAICompatibleModelHelper(
        "llama3.1",
        base_url=openai_server.base_url,
        retry=sleeps.policy(),
        embedding_model="nomic-embed-text",
    )
    helper.embedding_batch_size = 3
    openai_server.queue_embedding(status=429, headers=(("Retry-After", "2"),))
    vectors = helper.embed([f"t{number}" for number in range(7)])
    assert len(vectors) == 7 and sleeps == [2.0]
    sent = [openai_texts(r) for r in openai_server.requests if r.path == "/v1/embeddings"]
    assert sent == [["t0", "t1", "t2"], ["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]
    assert openai_server.requests[-1].body["model"] == "nomic-embed-text"


def test_openai_itself_defaults_to_its_embedding_model(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)
    helper = OpenAICompatibleModelHelper("gpt-4o-mini", api_key="sk-test")
    assert helper.embedding_model == "text-embedding-3-small"


def test_vectors_of_different_sizes_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_model_env(monkeypatch)

    def uneven(text: str) -> list[float]:
        return [1.0] * (2 if text == "short" else 3)

    with FakeOpenAI(embedder=uneven) as server:
        helper = OpenAICompatibleModelHelper(
            "m", base_url=server.base_url, retry=RecordedSleeps().policy()
        )
        with pytest.raises(ModelResponseError, match="different sizes"):
            helper.embed(["short", "longer"])
