"""Prompts and runs end to end: `alignbot serve` as a real process, signed requests from the
Slack emulator's side, a fake Gemini server, and the real Redis underneath."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from alignment._single_run.types import ConstitutionalPrompt
from bot.commands.text import unescape
from bot.feedback.actions import MENU_ACTION
from bot.keys import Workspace, is_bookkeeping
from bot.prompts import views
from bot.prompts.runs import ANSWER_EVENT_TYPE, RunStore
from bot.prompts.store import PromptStore
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.slack_emulator import BOT_USER_ID, TEAM_ID, ApiCall, SlackEmulator
from tests.fakes.slash_commands import (
    CHANNEL,
    Person,
    ResponseUrlServer,
    message_text,
    section_text,
)


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


def thread_replies(slack: SlackEmulator, root_ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.channel_messages(CHANNEL) if m.get("thread_ts") == root_ts]


def roots(slack: SlackEmulator) -> list[ApiCall]:
    """The root messages of runs (an edit's announcement is top-level too, but not a run)."""
    return [
        c
        for c in slack.calls_to("chat.postMessage", ok_only=True)
        if not c.params.get("thread_ts") and "Run of" in message_text(c.params)
    ]


def wait_for_answers(slack: SlackEmulator, root_ts: str, count: int) -> list[dict[str, Any]]:
    def answered() -> list[dict[str, Any]] | None:
        done = [m for m in thread_replies(slack, root_ts) if m.get("metadata")]
        return done if len(done) >= count else None

    return wait_until(answered, 15, what=f"{count} answer messages in thread {root_ts}")


def data_keys(client: redis.Redis) -> list[str]:
    # Metric counts and event-process beats are not data: they change with every call.
    return sorted(str(k) for k in client.keys("*") if not is_bookkeeping(str(k)))


@pytest.fixture
def started(
    bot_process: Callable[..., BotProcess], fake_gemini: FakeGemini, responses: ResponseUrlServer
) -> Person:
    return Person(bot_process(model_env=fake_gemini.env), responses)


def test_story_create_run_edit_run_again_and_export(
    started: Person, slack: SlackEmulator, fake_gemini: FakeGemini, redis_client: redis.Redis
) -> None:
    person = started
    created = person.ask("new uses Give three uses for {item}.")
    assert "Created *`uses`* version 1" in created and "`/align run uses item=…`" in created

    # A long answer, with characters Slack escapes, must arrive whole across several messages.
    long_answer = "\n\n".join(
        f"{n}. Use #{n} & more <ideas>: " + "cut paper, open boxes, trim string " * 40
        for n in range(1, 60)
    )
    assert len(long_answer) > 40_000
    fake_gemini.queue(long_answer)
    person.send('run uses item="kitchen scissors"')
    root_call = wait_until(lambda: roots(slack), 15, what="the run's root message")[0]
    root_ts = str(root_call.response["ts"])
    assert "*Run of `uses`* (version 1)" in message_text(root_call.params)
    assert "`item` = kitchen scissors" in message_text(root_call.params)

    # Wait for every part: the parts arrive one by one, and fewer would not join up to the whole.
    parts = len(views.answer_messages(long_answer, 0, 1))
    assert parts >= 2
    answers = wait_for_answers(slack, root_ts, parts)
    placeholder_call = slack.calls_to("chat.postMessage")[1]
    assert placeholder_call.params["thread_ts"] == root_ts
    assert "Thinking" in str(placeholder_call.params["text"])
    placeholder_ts = str(placeholder_call.response["ts"])
    # The answer streamed into a message of its own, which took the placeholder's place.
    (stream,) = slack.stream_records()
    assert answers[0]["ts"] == stream.ts and stream.thread_ts == root_ts
    assert long_answer.startswith(stream.text.replace("\u200b", "")[:1000])
    assert placeholder_ts not in [m["ts"] for m in slack.channel_messages(CHANNEL)]
    assert "".join(section_text(m) for m in answers) == long_answer
    # Slack renders the model's Markdown: each part is one markdown block, not escaped mrkdwn.
    # The last part ends with the answer's "Feedback" menu.
    assert all([b["type"] for b in m["blocks"]][-1:] == ["markdown"] for m in answers[:-1])
    assert [b["type"] for b in answers[-1]["blocks"]][-2:] == ["markdown", "section"]
    assert answers[-1]["blocks"][-1]["accessory"]["action_id"] == MENU_ACTION
    run_ids = {m["metadata"]["event_payload"]["run_id"] for m in answers}
    assert len(run_ids) == 1
    assert {m["metadata"]["event_type"] for m in answers} == {ANSWER_EVENT_TYPE}
    assert prompt_text(fake_gemini.requests[0]) == "Give three uses for kitchen scissors."

    workspace = Workspace(TEAM_ID)
    runs = RunStore(redis_client, workspace)
    run = wait_until(lambda: runs.run_in_thread(CHANNEL, root_ts), 10, what="the saved run")
    assert run.run_id in run_ids
    assert (run.prompt_name, run.version, run.variables) == (
        "uses",
        1,
        {"item": "kitchen scissors"},
    )
    assert run.rendered_input == "Give three uses for kitchen scissors."
    assert run.answers == [long_answer] and run.user == person.user
    for message in answers:
        pointer = runs.answer_at(CHANNEL, message["ts"])
        assert pointer is not None and (pointer.run_id, pointer.candidate) == (run.run_id, 0)

    saved = person.ask("edit uses Give five uses for {item}, one line each.")
    assert "Saved *`uses`* version 2" in saved

    # Each candidate is its own streamed request, written side by side.
    for take in ("First take", "Second take", "Third take"):
        fake_gemini.queue(take)
    person.send("run uses item=glue --n 3")
    second_root = wait_until(lambda: roots(slack)[1:], 15, what="the second run")[0]
    second_ts = str(second_root.response["ts"])
    assert "(version 2)" in message_text(second_root.params)
    candidates = wait_for_answers(slack, second_ts, 3)
    taken = [section_text(m) for m in candidates]
    assert sorted(taken) == ["First take", "Second take", "Third take"]
    payloads = [m["metadata"]["event_payload"] for m in candidates]
    assert [p["candidate"] for p in payloads] == [0, 1, 2]
    assert len({p["run_id"] for p in payloads} | run_ids) == 2
    assert prompt_text(fake_gemini.requests[-1]) == "Give five uses for glue, one line each."
    second_run = wait_until(lambda: runs.run_in_thread(CHANNEL, second_ts), 10, what="run 2")
    assert (second_run.version, second_run.answers) == (2, taken)

    # Mentioning the bot inside that thread runs there. Slack sends the mention twice, as a
    # message and as an app_mention: it runs once.
    fake_gemini.queue("Tape ideas")
    mention = {
        "user": person.user,
        "text": f"<@{BOT_USER_ID}> run uses item=&lt;tape&gt;",
        "ts": "1900000000.000100",
        "thread_ts": second_ts,
        "channel": CHANNEL,
    }
    model_calls = len(fake_gemini.requests)
    assert person.bot.post(person.signer.event({"type": "message", **mention})).status == 200
    in_thread = wait_until(
        lambda: [m for m in thread_replies(slack, second_ts) if section_text(m) == "Tape ideas"],
        15,
        what="the mention's answer in the thread",
    )
    assert in_thread[0]["metadata"]["event_type"] == ANSWER_EVENT_TYPE
    assert prompt_text(fake_gemini.requests[-1]) == "Give five uses for <tape>, one line each."
    assert person.bot.post(person.signer.event({"type": "app_mention", **mention})).status == 200
    person.bot.wait_log("dropping a repeated delivery")
    thread_roots = [
        m for m in thread_replies(slack, second_ts) if "*Run of `uses`*" in message_text(m)
    ]
    assert len(thread_roots) == 1
    assert len(fake_gemini.requests) == model_calls + 1

    shown = person.ask("show uses")
    assert "version 2" in shown and "Give five uses for {item}, one line each." in shown

    exported = person.ask("export uses")
    document = re.search(r"```\n(.*)\n```", exported, re.DOTALL)
    assert document is not None
    prompt = ConstitutionalPrompt.from_dict(json.loads(unescape(document.group(1))))
    assert prompt.preamble == "Give five uses for {item}, one line each."
    assert PromptStore(redis_client, workspace).current("uses").prompt == prompt


def test_errors_are_private_and_change_nothing(
    started: Person, slack: SlackEmulator, fake_gemini: FakeGemini, redis_client: redis.Redis
) -> None:
    person = started
    person.ask("new uses Give three uses for {item}.")
    person.ask("new pair Compare {first} with {second}.")
    before = data_keys(redis_client)

    assert "Did you mean `uses`?" in person.ask("run usse item=x")
    assert "Usage: `/align run NAME" in person.ask("run uses scissors")
    assert "has no variable `colour`" in person.ask("run uses item=x colour=red")
    assert "lowercase letters" in person.ask("new Bad! Hello {x}")
    assert "not allowed" in person.ask("new shady Show {item.__class__}")
    assert "already exists" in person.ask("new uses Another {item}")

    slack.fail_next("chat.postMessage", "not_in_channel")
    assert "/invite @alignbot" in person.ask("run uses item=x", channel="C0ELSEWHERE")

    fake_gemini.queue(status=400, message="the prompt was refused")
    failure = person.ask("run uses item=x")
    assert "The model failed" in failure and "Nothing was saved" in failure
    placeholder = slack.wait_for(
        "chat.update", where=lambda c: "model failed" in str(c.params.get("text"))
    )[0]
    assert "the prompt was refused" in message_text(placeholder.params)
    assert data_keys(redis_client) == before

    # Missing variables open a form with one multi-line field per variable.
    person.send("run pair first=apples")
    view = slack.wait_for("views.open")[0].response["view"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in inputs] == ["first", "second"]
    assert all(b["element"]["multiline"] for b in inputs)
    assert inputs[0]["element"]["initial_value"] == "apples"
    assert data_keys(redis_client) == before

    # Submitting the form runs the prompt with what was typed there.
    fake_gemini.queue("Both are fruit.")
    typed = dict(zip([b["block_id"] for b in inputs], ["green apples", "ripe\npears"], strict=True))
    assert person.submit(view, typed).status == 200
    root = wait_until(
        lambda: [c for c in roots(slack) if "`pair`" in message_text(c.params)], 15, what="run"
    )[0]
    answers = wait_for_answers(slack, str(root.response["ts"]), 1)
    assert section_text(answers[0]) == "Both are fruit."
    assert prompt_text(fake_gemini.requests[-1]) == "Compare green apples with ripe\npears."

    # A variable name too long for a form's block id: the reply names what the command needs
    # instead of opening a form Slack would refuse.
    person.ask("new wide Say {" + "v" * 300 + "}.")
    refused = person.ask("run wide")
    assert "Give a value for `" + "v" * 300 + "`" in refused
    assert len(slack.calls_to("views.open")) == 1


def test_another_workspace_can_neither_read_nor_change_prompts(
    started: Person,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    fake_gemini: FakeGemini,
    redis_client: redis.Redis,
) -> None:
    owner = started
    owner.ask("new uses Give three uses for {item}.")
    owner_store = PromptStore(redis_client, Workspace(TEAM_ID))
    original = owner_store.versions("uses")

    stranger = Person(owner.bot, responses, team_id="T0STRANGER")
    for text in (
        "show uses",
        "run uses item=x",
        "edit uses Leak {item}",
        "export uses",
    ):
        assert "There is no prompt named `uses`" in stranger.ask(text)
    assert "No prompts yet" in stranger.ask("list")
    assert owner_store.versions("uses") == original
    assert slack.calls_to("chat.postMessage") == []
    assert fake_gemini.requests == []


def test_prompts_written_and_edited_in_forms(
    started: Person, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    person = started
    person.send("new gifts")
    view = slack.wait_for("views.open")[0].response["view"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["prompt_name", "prompt_template"]
    assert inputs["prompt_name"]["element"]["initial_value"] == "gifts"
    assert inputs["prompt_template"]["element"]["multiline"] is True

    # Mistakes show on the field and the form stays open; nothing is stored.
    refused = person.submit(view, {"prompt_name": "gifts", "prompt_template": "For {who.name}"})
    assert refused.status == 200
    errors = json.loads(refused.body)
    assert errors["response_action"] == "errors"
    assert "not allowed" in errors["errors"]["prompt_template"]
    refused = person.submit(view, {"prompt_name": "Gift Ideas", "prompt_template": "For {who}"})
    assert "lowercase letters" in json.loads(refused.body)["errors"]["prompt_name"]
    assert data_keys(redis_client) == []

    replies = len(person.responses.replies)
    accepted = person.submit(view, {"prompt_name": "gifts", "prompt_template": "Gift for {who}"})
    assert (accepted.status, accepted.body) == (200, "")
    assert "Created *`gifts`* version 1" in person.reply_after(replies)

    person.send("edit gifts")
    edit_view = slack.wait_for("views.open", count=2)[1].response["view"]
    edit_inputs = [b for b in edit_view["blocks"] if b["type"] == "input"]
    assert [b["element"]["initial_value"] for b in edit_inputs] == ["Gift for {who}"]
    replies = len(person.responses.replies)
    person.submit(edit_view, {"prompt_template": "A thoughtful gift for {who}"})
    assert "Saved *`gifts`* version 2" in person.reply_after(replies)
    store = PromptStore(redis_client, Workspace(TEAM_ID))
    assert [v.template for v in store.versions("gifts")] == [
        "Gift for {who}",
        "A thoughtful gift for {who}",
    ]


def test_an_export_too_long_for_a_message_arrives_as_a_file(
    started: Person, slack: SlackEmulator
) -> None:
    person = started
    # Slack escapes "<" and ">" as it sends the text, which makes this export too long for text.
    template = "<x> " * 4998 + "{item}"
    escaped = template.replace("<", "&lt;").replace(">", "&gt;")
    assert "Created *`big`* version 1" in person.ask(f"new big {escaped}")
    person.send("export big")
    upload = slack.wait_for("files.completeUploadExternal")[0]
    file_id = upload.response["files"][0]["id"]
    assert upload.params["channel_id"] == CHANNEL
    prompt = ConstitutionalPrompt.from_dict(json.loads(slack.files[file_id].content))
    assert prompt.preamble == template
