"""Streamed answers from both service helpers, over real HTTP against the fake servers' SSE."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from alignment import single_run
from alignment._providers.gemini import GeminiModelHelper
from alignment._providers.openai_compatible import OpenAICompatibleModelHelper
from alignment._providers.service import ServiceModelHelper
from alignment._single_run.answer_streams import start_streams
from alignment.errors import ModelAuthError, ModelStreamError, ModelUnavailableError
from alignment.model_helper import SupportsStreaming
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.fakes.gemini_server import FakeGemini, is_streamed
from tests.fakes.gemini_server import prompt_text as gemini_prompt
from tests.fakes.openai_server import FakeOpenAI

ANSWER = "Cut paper, open parcels, and trim the ends of string neatly."

# Each case: start a fake, then build a helper pointed at it.
Case = tuple[Any, Callable[[Any, RecordedSleeps, int], ServiceModelHelper]]


def _gemini(fake: FakeGemini, sleeps: RecordedSleeps, attempts: int) -> ServiceModelHelper:
    return GeminiModelHelper(
        api_key=fake.env["GEMINI_API_KEY"], base_url=fake.url, retry=sleeps.policy(attempts)
    )


def _openai(fake: FakeOpenAI, sleeps: RecordedSleeps, attempts: int) -> ServiceModelHelper:
    return OpenAICompatibleModelHelper(
        "llama3.1", base_url=fake.base_url, retry=sleeps.policy(attempts)
    )


@pytest.fixture(params=["gemini", "openai"])
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    clear_model_env(monkeypatch)
    server = FakeGemini() if request.param == "gemini" else FakeOpenAI()
    with server:
        yield server


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def helper_for(fake: Any, sleeps: RecordedSleeps, attempts: int = 5) -> ServiceModelHelper:
    build = _gemini if isinstance(fake, FakeGemini) else _openai
    return build(fake, sleeps, attempts)


def test_the_answer_arrives_in_pieces_that_join_up(fake: Any, sleeps: RecordedSleeps) -> None:
    fake.queue(ANSWER)
    helper = helper_for(fake, sleeps)
    assert isinstance(helper, SupportsStreaming)

    pieces = list(helper.predict_stream("Give uses for scissors", 0.4))

    assert len(pieces) > 5 and "".join(pieces) == ANSWER
    (request,) = fake.requests
    if isinstance(fake, FakeGemini):
        assert is_streamed(request) and "alt=sse" in request.path
        assert gemini_prompt(request) == "Give uses for scissors"
        assert request.body["generationConfig"]["temperature"] == 0.4
    else:
        assert request.body["stream"] is True and request.body["temperature"] == 0.4
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.requests, usage.errors, usage.retries) == (1, 1, 0, 0)
    # The fakes count words; the totals come from the last report in the stream.
    assert usage.output_tokens == len(ANSWER.split())
    assert usage.prompt_tokens == len(["Give", "uses", "for", "scissors"])


def test_nothing_is_sent_until_the_first_piece_is_asked_for(
    fake: Any, sleeps: RecordedSleeps
) -> None:
    fake.queue(ANSWER)
    stream = helper_for(fake, sleeps).predict_stream("p", 0.0)
    assert fake.requests == []
    assert next(stream)
    assert len(fake.requests) == 1


def test_transient_failures_before_the_first_piece_are_retried(
    fake: Any, sleeps: RecordedSleeps
) -> None:
    fake.queue(status=503)
    fake.queue(status=429)
    fake.queue(ANSWER)
    helper = helper_for(fake, sleeps)

    assert "".join(helper.predict_stream("p", 0.0)) == ANSWER

    assert len(fake.requests) == 3 and len(sleeps) == 2
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.requests, usage.retries, usage.errors) == (1, 3, 2, 0)


def test_retries_are_bounded(fake: Any, sleeps: RecordedSleeps) -> None:
    for _ in range(3):
        fake.queue(status=500)
    helper = helper_for(fake, sleeps, attempts=3)
    with pytest.raises(ModelUnavailableError):
        list(helper.predict_stream("p", 0.0))
    assert len(fake.requests) == 3
    assert helper.usage.snapshot().errors == 1


def test_a_connection_lost_before_any_text_is_retried(fake: Any, sleeps: RecordedSleeps) -> None:
    fake.queue(ANSWER, fail_after=0)
    fake.queue(ANSWER)
    helper = helper_for(fake, sleeps)
    assert "".join(helper.predict_stream("p", 0.0)) == ANSWER
    assert len(fake.requests) == 2


def test_refusals_are_not_retried(fake: Any, sleeps: RecordedSleeps) -> None:
    fake.queue(status=401 if isinstance(fake, FakeOpenAI) else 403)
    helper = helper_for(fake, sleeps)
    with pytest.raises(ModelAuthError):
        list(helper.predict_stream("p", 0.0))
    assert len(fake.requests) == 1 and sleeps == []


def test_a_failure_mid_answer_keeps_the_partial_text_and_is_not_retried(
    fake: Any, sleeps: RecordedSleeps
) -> None:
    fake.queue(ANSWER, fail_after=4)
    fake.queue("a second answer that must never be asked for")
    helper = helper_for(fake, sleeps)
    received: list[str] = []

    with pytest.raises(ModelStreamError) as raised:
        for piece in helper.predict_stream("p", 0.0):
            received.append(piece)

    assert len(received) == 4 and raised.value.partial == "".join(received)
    assert ANSWER.startswith(raised.value.partial)
    assert "stopped part-way" in str(raised.value)
    assert len(fake.requests) == 1
    usage = helper.usage.snapshot()
    assert (usage.calls, usage.errors, usage.retries) == (1, 1, 0)


def test_the_concurrency_slot_is_held_while_streaming_and_given_back(
    fake: Any, sleeps: RecordedSleeps
) -> None:
    fake.queue(ANSWER)
    fake.queue(ANSWER, fail_after=2)
    fake.queue(ANSWER)
    helper = helper_for(fake, sleeps)
    helper._slots = threading.BoundedSemaphore(1)

    first = helper.predict_stream("p", 0.0)
    next(first)
    assert not helper._slots.acquire(blocking=False)  # the first stream holds the only slot
    first.close()  # stopped early: the slot comes back, and it is no error
    with pytest.raises(ModelStreamError):
        list(helper.predict_stream("p", 0.0))
    assert "".join(helper.predict_stream("p", 0.0)) == ANSWER
    assert helper.usage.snapshot().errors == 1


def test_candidates_stream_side_by_side_and_read_in_order() -> None:
    with FakeGemini(token_delay=0.01) as fake:
        for text in ("first answer here", "second one", "third and last"):
            fake.queue(text)
        helper = GeminiModelHelper(api_key="k", base_url=fake.url)
        run = single_run.AlignableSingleRun(helper)
        run.set_model_description("Uses for {item}")

        streams = run.stream_input({"item": "glue"}, candidate_count=3)
        texts = ["".join(stream) for stream in streams]

        assert sorted(texts) == sorted(["first answer here", "second one", "third and last"])
        assert [stream.text for stream in streams] == texts
        assert fake.peak_in_flight == 3  # written at once, not one after another
        assert {gemini_prompt(r) for r in fake.requests} == {"Uses for glue"}
        temperatures = {r.body["generationConfig"]["temperature"] for r in fake.requests}
        assert temperatures == {single_run.CANDIDATE_TEMPERATURE}
        assert run.data.conversations == []


def test_a_helper_that_cannot_stream_gives_its_whole_answer_as_one_piece() -> None:
    class Blocking(single_run.ModelHelper):
        def predict(self, prompt: str, temperature: float, *args: Any, **kwargs: Any) -> str:
            return f"answer to {prompt} at {temperature}"

    run = single_run.AlignableSingleRun(Blocking())
    run.set_model_description("Q: {q}")
    (stream,) = run.stream_input({"q": "why"})
    assert list(stream) == [f"answer to Q: why at {single_run.RUN_TEMPERATURE}"]


def test_an_error_raised_in_a_stream_reaches_its_reader() -> None:
    with FakeGemini() as fake:
        fake.queue(ANSWER, fail_after=3)
        run = single_run.AlignableSingleRun(GeminiModelHelper(api_key="k", base_url=fake.url))
        run.set_model_description("Q")
        (stream,) = run.stream_input()
        with pytest.raises(ModelStreamError):
            list(stream)
        assert ANSWER.startswith(stream.text) and stream.text


def test_streamed_candidates_are_read_in_the_callers_context() -> None:
    """An application's context variables (its log fields, say) reach the model request."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")

    class Echo:
        def predict(self, prompt: str, temperature: float, **_: object) -> list[str]:
            return [request_id.get()]

        def predict_stream(self, prompt: str, temperature: float, **_: object) -> Iterator[str]:
            yield request_id.get()

    request_id.set("r-42")
    streams = start_streams(Echo(), "p", 0.0, 2)  # type: ignore[arg-type]
    assert ["".join(stream) for stream in streams] == ["r-42", "r-42"]
