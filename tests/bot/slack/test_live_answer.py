"""An answer shown while it is written: what is sent, when, and how it stays inert."""

from __future__ import annotations

from collections.abc import Iterator

from slack_sdk import WebClient

from alignment.model_helper import SupportsStreaming
from bot.models.metered import metered
from bot.slack.blocks import Message
from bot.slack.live_answer import EDIT_SECONDS, STREAM_APPEND_SECONDS, LiveAnswer, stable_length
from bot.slack.markdown import neutralise
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import BOT_TOKEN, SlackEmulator


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def live(slack: SlackEmulator, clock: Clock, placeholder: str | None = None) -> LiveAnswer:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    root = client.chat_postMessage(channel="C1", text="run")["ts"]
    return LiveAnswer(
        client,
        "C1",
        root,
        ("U1", "T1"),
        render=lambda text: Message(text=text, blocks=[{"type": "markdown", "text": text}]),
        placeholder_ts=placeholder,
        clock=clock,
        sleep=clock.sleep,
    )


def test_only_text_up_to_the_last_whitespace_is_stable() -> None:
    assert stable_length("Ask <!chan") == len("Ask ")
    assert stable_length("no space yet") == len("no space ")
    assert stable_length("word") == 0


def test_a_mention_split_across_pieces_is_still_made_inert(slack: SlackEmulator) -> None:
    clock = Clock()
    answer = live(slack, clock)
    for piece in ["Ask <!chan", "nel> and @he", "re now. "]:
        answer.add(piece)
        clock.now += 1
    answer.finish()
    (record,) = slack.stream_records()
    assert record.text == neutralise("Ask <!channel> and @here now. ")
    assert "<!channel>" not in record.text and "@here" not in record.text


def test_appends_keep_to_their_pace(slack: SlackEmulator) -> None:
    clock = Clock()
    answer = live(slack, clock)
    for n in range(40):
        answer.add(f"w{n} ")
        clock.now += STREAM_APPEND_SECONDS / 4
    answer.finish()
    (record,) = slack.stream_records()
    appends = [m for _, m, _ in record.pieces if m == "chat.appendStream"]
    # 40 words over 10 pace intervals: the start, about one append per interval, the stop.
    assert 8 <= len(appends) <= 10
    assert record.text == "".join(f"w{n} " for n in range(40))


def test_a_refused_stream_becomes_edits_of_the_placeholder_once_a_second(
    slack: SlackEmulator,
) -> None:
    slack.refuse_streaming("not_allowed")
    clock = Clock()
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    placeholder = client.chat_postMessage(channel="C1", text="Thinking…")["ts"]
    answer = live(slack, clock, placeholder=placeholder)
    for n in range(30):
        answer.add(f"w{n} ")
        clock.now += EDIT_SECONDS / 5
    before = clock.now
    assert answer.finish() == placeholder
    edits = slack.calls_to("chat.update", ok_only=True)
    assert 6 <= len(edits) <= 7  # 6 s of writing at one edit a second
    assert clock.now - before <= EDIT_SECONDS  # finish waited for the next allowed edit
    assert edits[-1].params["text"].startswith("w0 w1")


def test_metered_models_stream_only_when_the_model_does() -> None:
    observed: list[str] = []
    plain = metered(ScriptedModel(), "m", lambda model, outcome, seconds: observed.append(outcome))
    assert not hasattr(plain, "predict_stream")


def test_metered_streams_are_timed_from_request_to_last_piece() -> None:
    class Streaming(ScriptedModel):
        def predict_stream(
            self, prompt: str, temperature: float, **options: object
        ) -> Iterator[str]:
            yield from ("one ", "two")

    observed: list[str] = []
    model = metered(Streaming(), "m", lambda model, outcome, seconds: observed.append(outcome))
    assert isinstance(model, SupportsStreaming)
    pieces = model.predict_stream("p", 0.0)
    assert next(pieces) == "one " and observed == []
    assert list(pieces) == ["two"] and observed == ["ok"]
