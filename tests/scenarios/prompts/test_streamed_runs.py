"""Run answers streamed into their thread: `alignbot serve` as a real process, a fake Gemini
that writes a word at a time, and the Slack emulator recording what people saw and when."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from bot.feedback.actions import MENU_ACTION
from bot.keys import Workspace
from bot.prompts import views
from bot.prompts.runs import RunStore
from bot.slack.live_answer import STREAM_APPEND_SECONDS
from bot.slack.markdown import ZERO_WIDTH_SPACE
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.slack_emulator import TEAM_ID, ApiCall, SlackEmulator
from tests.fakes.slash_commands import (
    CHANNEL,
    Person,
    ResponseUrlServer,
    message_text,
    section_text,
)

WORKSPACE = Workspace(TEAM_ID)
ANSWER = (
    "## Three uses\n\n1. **Cut** paper along a fold, neatly.\n2. Open parcels without a knife "
    "and without tearing the label.\n3. Trim loose threads from a sleeve. Ask <!channel> "
    "if you need more ideas, or @here for a vote.\n"
)


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def fake(fake_gemini: FakeGemini) -> FakeGemini:
    """The model: a word every 30 ms."""
    fake_gemini.token_delay = 0.03
    return fake_gemini


@pytest.fixture
def person(
    bot_process: Callable[..., BotProcess], fake: FakeGemini, responses: ResponseUrlServer
) -> Person:
    someone = Person(bot_process(model_env=fake.env), responses)
    assert "Created" in someone.ask("new uses Give three uses for {item}.")
    return someone


def run_root(slack: SlackEmulator, count: int = 1) -> str:
    def roots() -> list[ApiCall]:
        return [
            c
            for c in slack.calls_to("chat.postMessage", ok_only=True)
            if not c.params.get("thread_ts") and "Run of" in message_text(c.params)
        ]

    return str(
        wait_until(lambda: roots()[count - 1 :], 15, what="the run's root")[0].response["ts"]
    )


def answers_in(slack: SlackEmulator, root_ts: str, count: int) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        found = [
            m
            for m in slack.channel_messages(CHANNEL)
            if m.get("thread_ts") == root_ts
            and m.get("metadata")
            and "streaming" not in m
            # The final edit, which adds the Feedback menu, may come just after the stream stops.
            and any(
                (b.get("accessory") or {}).get("action_id") == MENU_ACTION
                for b in m.get("blocks", [])
            )
        ]
        return found if len(found) >= count else None

    return wait_until(done, 20, what=f"{count} finished answer(s)")


def test_an_answer_streams_then_takes_its_final_form(
    person: Person, slack: SlackEmulator, fake: FakeGemini, redis_client: redis.Redis
) -> None:
    slack_answer = ANSWER
    fake.queue(slack_answer)
    person.send("run uses item=scissors")
    root_ts = run_root(slack)
    (message,) = answers_in(slack, root_ts, 1)

    (stream,) = slack.stream_records()
    assert stream.ts == message["ts"] and stream.thread_ts == root_ts
    assert stream.recipient_user_id == person.user
    methods = [method for _, method, _ in stream.pieces]
    assert methods[0] == "chat.startStream" and methods[-1] == "chat.stopStream"
    appends = methods.count("chat.appendStream")
    assert appends >= 2  # people saw the answer grow, not arrive whole
    # The text streamed is the answer, with mentions made inert on the way.
    assert stream.text.replace(ZERO_WIDTH_SPACE, "") == slack_answer
    assert "<!channel>" not in stream.text and "@here" not in stream.text
    # Paced under appendStream's limit: never more appends than the time allows.
    elapsed = stream.pieces[-1][0] - stream.pieces[0][0]
    assert appends - 1 <= elapsed / STREAM_APPEND_SECONDS + 1
    # The placeholder made way for the answer.
    assert all("Thinking" not in message_text(m) for m in slack.channel_messages(CHANNEL))

    # Its final form is the rendering of any answer, with the run's metadata.
    final = views.answer_messages(slack_answer, 0, 1)[0].as_kwargs()
    assert message["blocks"] == final["blocks"]
    assert section_text(message) == slack_answer
    runs = RunStore(redis_client, WORKSPACE)
    run = wait_until(lambda: runs.run_in_thread(CHANNEL, root_ts), 10, what="the saved run")
    assert run.answers == [slack_answer]
    assert message["metadata"]["event_payload"] == {"run_id": run.run_id, "candidate": 0}
    pointer = runs.answer_at(CHANNEL, message["ts"])  # what reactions and replies look up
    assert pointer is not None and (pointer.run_id, pointer.candidate) == (run.run_id, 0)


def test_where_streaming_is_refused_one_message_is_edited_at_most_once_a_second(
    person: Person, slack: SlackEmulator, fake: FakeGemini, redis_client: redis.Redis
) -> None:
    slack.refuse_streaming("method_not_supported")
    long_answer = " ".join(f"word{n}" for n in range(90))  # about 2.7 s at 30 ms a word
    fake.queue(long_answer)
    person.send("run uses item=glue")
    root_ts = run_root(slack)
    (message,) = answers_in(slack, root_ts, 1)

    assert slack.stream_records() == []
    assert slack.calls_to("chat.startStream") and not slack.calls_to("chat.appendStream")
    edits = [
        c for c in slack.calls_to("chat.update", ok_only=True) if c.params["ts"] == message["ts"]
    ]
    writing = [c for c in edits if views.WRITING_TEXT in message_text(c.params)]
    assert len(writing) >= 2  # the answer grew in place
    # Edits of the one message, the final one included, never faster than one a second.
    elapsed = edits[-1].at - edits[0].at
    assert len(edits) - 1 <= elapsed + 0.5
    placeholder = slack.calls_to("chat.postMessage", ok_only=True)[1]
    assert placeholder.response["ts"] == message["ts"]  # the placeholder became the answer
    assert section_text(message) == long_answer
    runs = RunStore(redis_client, WORKSPACE)
    run = wait_until(lambda: runs.run_in_thread(CHANNEL, root_ts), 10, what="the saved run")
    assert runs.answer_at(CHANNEL, message["ts"]) is not None and run.answers == [long_answer]


def test_three_candidates_each_stream_into_their_own_message(
    person: Person, slack: SlackEmulator, fake: FakeGemini, redis_client: redis.Redis
) -> None:
    takes = ["First take: cut it.", "Second take: open it.", "Third take: trim it."]
    for take in takes:
        fake.queue(take)
    person.send("run uses item=tape --n 3")
    root_ts = run_root(slack)
    messages = answers_in(slack, root_ts, 3)

    records = slack.stream_records()
    assert [r.ts for r in records] == [m["ts"] for m in messages]  # in order, one each
    assert fake.peak_in_flight == 3  # written side by side
    shown = [section_text(m) for m in messages]
    assert sorted(shown) == sorted(takes)
    for number, message in enumerate(messages):
        assert f"Candidate {number + 1} of 3" in message_text(message)
        assert message["metadata"]["event_payload"]["candidate"] == number
    runs = RunStore(redis_client, WORKSPACE)
    run = wait_until(lambda: runs.run_in_thread(CHANNEL, root_ts), 10, what="the saved run")
    assert run.answers == shown


def test_a_failure_mid_stream_leaves_the_partial_answer_marked_and_saves_nothing(
    person: Person, slack: SlackEmulator, fake: FakeGemini, redis_client: redis.Redis
) -> None:
    fake.queue(ANSWER, fail_after=8)
    before = len(person.responses.replies)
    person.send("run uses item=string")
    root_ts = run_root(slack)

    told = person.reply_after(before)
    assert "failed part-way" in told and "not saved" in told
    (record,) = slack.stream_records()
    failed = wait_until(
        lambda: [m for m in slack.channel_messages(CHANNEL) if m["ts"] == record.ts], 10
    )[0]
    text = message_text(failed)
    assert "stopped part-way" in text and "Nothing was saved" in text
    partial = section_text(failed)
    assert partial and ANSWER.startswith(partial) and partial != ANSWER
    assert len(fake.requests) == 1  # not started again after text was shown
    root = next(m for m in slack.channel_messages(CHANNEL) if m["ts"] == root_ts)
    assert "failed" in message_text(root)
    runs = RunStore(redis_client, WORKSPACE)
    assert runs.run_in_thread(CHANNEL, root_ts) is None
    assert runs.answer_at(CHANNEL, record.ts) is None
