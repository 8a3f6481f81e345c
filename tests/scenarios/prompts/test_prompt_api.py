"""From Slack to an application: shape a prompt, promote it, fetch it over the prompt API.

``alignbot serve`` as deployed (child processes on one Redis), the Slack emulator, a fake Gemini
server answering like a cooperative model, and plain HTTP requests standing in for an
application: create, run, feedback, apply, an API key made in Slack, promote, fetch by label,
ETag and 304, promote another version, move it back with the button (and the button refusing
once the label moved again), a workspace that never sees another's prompts, and a revoked key
refused at once by a second bot process.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.keys import Workspace
from bot.prompts.label_views import MOVE_BACK_ACTION
from bot.prompts.labels import LabelStore
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from tests.fakes.bot_harness import BotProcess, free_port, wait_until
from tests.fakes.gemini_server import FakeGemini, model_of, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slack_signing import HttpAnswer
from tests.fakes.slash_commands import CHANNEL, Person, ResponseUrlServer
from tests.scenarios.feedback.world import (
    APPLIED_SUFFIX,
    Teammate,
    action_values,
    message_text,
    model_answer,
)

WORKSPACE = Workspace(TEAM_ID)
OTHER_TEAM = "T0OTHERTEAM"
API_KEY = re.compile(r"ab_[A-Za-z0-9_-]{40}")


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    def respond(request: RecordedRequest) -> str:
        return model_answer(prompt_text(request))

    with FakeGemini(responder=respond) as server:
        yield server


def fetch(base: str, path: str, key: str | None, etag: str | None = None) -> HttpAnswer:
    """What an application's plain HTTP request gets."""
    request = urllib.request.Request(base + path)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    if etag is not None:
        request.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return HttpAnswer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), dict(error.headers))


def announcement(slack: SlackEmulator, contains: str, after: int = 0) -> dict[str, Any]:
    """The channel message (a root, not in a thread) that says ``contains``."""

    def found() -> dict[str, Any] | None:
        for message in slack.channel_messages(CHANNEL)[after:]:
            if contains in message_text(message):
                return message
        return None

    return wait_until(found, 15, what=f"a channel message saying {contains!r}")


def first_run(slack: SlackEmulator, client: redis.Redis) -> RunRecord | None:
    roots = [m for m in slack.channel_messages(CHANNEL) if not m.get("thread_ts")]
    if not roots:
        return None
    return RunStore(client, WORKSPACE).run_in_thread(CHANNEL, roots[0]["ts"])


def everything_in(client: redis.Redis) -> str:
    parts: list[str] = []
    for key in client.scan_iter():
        kind = str(client.type(key))
        values = {
            "string": lambda k: client.get(k),
            "hash": lambda k: client.hgetall(k),
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: client.smembers(k),
        }.get(kind)
        parts += [key, str(values(key)) if values else ""]
    return "\n".join(parts)


def test_shape_promote_and_fetch_from_an_application(
    bot_process: Callable[..., BotProcess],
    gemini: FakeGemini,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    # DEBUG, so the log holds every request and reply body the libraries log: keys must not.
    bot = bot_process(model_env=gemini.env, ALIGN_EVENT_PROCESSES="0", ALIGN_LOG_LEVEL="DEBUG")
    ana = Teammate(bot, responses, "U0ANA")
    ben = Teammate(bot, responses, "U0BEN")
    store = PromptStore(redis_client, WORKSPACE)

    # Shape the prompt in Slack: create, run, a critique in the thread, apply.
    assert "Created *`uses`* version 1" in ana.ask("new uses Give three uses for {item}.")
    ana.send("run uses item=scissors")
    run = wait_until(lambda: first_run(slack, redis_client), 20, what="the run")
    ben.reply(run.thread_ts, "critique: the uses are too obvious")
    wait_until(lambda: store.current("uses").version == 2, 20, what="the critique's principle")
    ana.send("apply uses")
    wait_until(lambda: store.current("uses").version == 3, 20, what="the applied version")
    applied = store.current("uses")
    assert applied.template == "Give three uses for {item}." + APPLIED_SUFFIX

    # A key for the application: shown once, privately; never in the channel, Redis or logs.
    reply = ana.ask("apikey create shop-app")
    key = API_KEY.search(reply)
    assert key is not None, reply
    secret = key.group(0)
    assert "shown only this once" in reply
    assert all(secret not in message_text(m) for m in slack.channel_messages(CHANNEL))
    assert secret not in everything_in(redis_client)
    assert "shop-app" in ana.ask("apikey list")

    # Promote version 3 to production: the channel hears, with a button to move it back.
    ana.send("promote uses 3")
    promoted = announcement(slack, "promoted *`uses`* version 3 to `production`")
    assert action_values(promoted, MOVE_BACK_ACTION)
    base = bot.base_url
    first = fetch(base, "/api/v1/prompts/uses?label=production", secret)
    assert first.status == 200
    document = json.loads(first.body)
    assert (document["version"], document["labels"]) == (3, ["production"])
    assert document["template"] == applied.template
    assert document["principles"] == list(applied.prompt.principles)
    assert document["variables"] == ["item"]
    etag = first.headers["ETag"]
    assert fetch(base, "/api/v1/prompts/uses?label=production", secret, etag).status == 304

    # Promote another version: the application sees it, and its old ETag no longer matches.
    seen = len(slack.channel_messages(CHANNEL))
    ana.send("promote uses 1")
    moved = announcement(slack, "(was version 3)", after=seen)
    changed = fetch(base, "/api/v1/prompts/uses?label=production", secret, etag)
    assert changed.status == 200 and json.loads(changed.body)["version"] == 1
    assert "`production`" in ana.ask("history uses")
    assert "`production` v1" in ana.ask("show uses")

    # The button under that move puts production back on version 3 ...
    button = action_values(moved, MOVE_BACK_ACTION)[0]
    assert ben.click(moved, MOVE_BACK_ACTION, button).status == 200
    wait_until(
        lambda: LabelStore(redis_client, WORKSPACE).version_of("uses", "production") == 3,
        15,
        what="production moved back",
    )
    announcement(slack, "moved back *`uses`* version 3 to `production`", after=seen)
    # ... and, clicked again now that the label has moved since, refuses and changes nothing.
    before = len(responses.replies)
    ben.click(moved, MOVE_BACK_ACTION, button)
    refusal = message_text(responses.wait_for_reply(before + 1))
    assert "has moved since" in refusal and "version 3" in refusal
    assert LabelStore(redis_client, WORKSPACE).version_of("uses", "production") == 3

    # Another workspace's key never sees this workspace's prompts, nor the other way round.
    other = Person(bot, responses, team_id=OTHER_TEAM)
    other.user = "U0OTHER"
    assert "Created" in other.ask("new secret A prompt only we see: {x}")
    other_key = API_KEY.search(other.ask("apikey create their-app"))
    assert other_key is not None
    theirs = json.loads(fetch(base, "/api/v1/prompts", other_key.group(0)).body)
    assert [p["name"] for p in theirs["prompts"]] == ["secret"]
    assert fetch(base, "/api/v1/prompts/uses", other_key.group(0)).status == 404
    ours = json.loads(fetch(base, "/api/v1/prompts", secret).body)
    assert [p["name"] for p in ours["prompts"]] == ["uses"]
    assert fetch(base, "/api/v1/prompts/secret", secret).status == 404

    # A second bot process on the same Redis serves the key, until it is revoked in Slack:
    # then it refuses it at once (no process keeps keys of its own).
    second = BotProcess(
        {**bot.env, "PORT": str(free_port())}, tmp_path / "second", signer=bot.signer
    ).start()
    try:
        second.wait_ready()
        assert fetch(second.base_url, "/api/v1/prompts/uses", secret).status == 200
        seen = len(slack.channel_messages(CHANNEL))
        ana.send("apikey revoke shop-app")
        announcement(slack, "revoked API key `shop-app`", after=seen)
        refused = fetch(second.base_url, "/api/v1/prompts/uses", secret)
        assert refused.status == 401
        assert json.loads(refused.body)["error"]["code"] == "unauthorized"
        assert fetch(base, "/api/v1/prompts/uses", secret).status == 401
        assert fetch(second.base_url, "/api/v1/prompts", other_key.group(0)).status == 200
    finally:
        second.stop()
    for log in (bot.output(), second.output()):
        assert secret not in log and other_key.group(0) not in log


def test_a_configured_version_runs_with_its_model_settings(
    bot_process: Callable[..., BotProcess],
    gemini: FakeGemini,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot = bot_process(model_env=gemini.env, ALIGN_EVENT_PROCESSES="0")
    ana = Teammate(bot, responses, "U0ANA")
    ana.ask("new uses Give three uses for {item}.")
    refused = ana.ask("config uses temperature=5")
    assert "from 0 to 2" in refused
    assert "cannot run here" in ana.ask("config uses model=openai:llama3.1")
    assert len(PromptStore(redis_client, WORKSPACE).versions("uses")) == 1

    ana.send("config uses model=gemini:gemini-2.0-flash temperature=0.2 max_tokens=77")
    announcement(slack, "changed the model settings of *`uses`*")
    assert "temperature 0.2" in ana.ask("config uses")
    ana.send("run uses item=glue")
    sent = wait_until(
        lambda: [
            r for r in gemini.requests if prompt_text(r).startswith("Give three uses for glue")
        ],
        20,
        what="the run's model call",
    )
    assert model_of(sent[0]) == "gemini-2.0-flash"
    generation = sent[0].body["generationConfig"]
    assert (generation["temperature"], generation["maxOutputTokens"]) == (0.2, 77)
    # Back to the workspace default for the model; the other settings stay.
    ana.send("config uses model=default")
    wait_until(
        lambda: PromptStore(redis_client, WORKSPACE).current("uses").version == 3,
        15,
        what="the third version",
    )
    ana.send("run uses item=tape")
    later = wait_until(
        lambda: [
            r for r in gemini.requests if prompt_text(r).startswith("Give three uses for tape")
        ],
        20,
        what="the second run's model call",
    )
    assert model_of(later[0]) == "gemini-2.5-flash"
    assert later[0].body["generationConfig"]["temperature"] == 0.2
