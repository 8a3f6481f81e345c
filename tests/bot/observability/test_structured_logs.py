"""Log lines are one JSON object each, naming the team, channel, prompt and run they are about."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from slack_bolt import App, BoltRequest

from bot.app import build_app
from bot.keys import Workspace
from bot.observability.context import ContextCopyingExecutor, bind_log_fields, log_fields
from bot.prompts.runs import RunStore
from bot.services import Services
from bot.transport.background import shutdown_listeners
from tests.bot.observability.conftest import CapturedLog
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.slack_emulator import TEAM_ID
from tests.fakes.slack_signing import SlackRequest, SlackSigner
from tests.fakes.slash_commands import CHANNEL, Person, ResponseUrlServer


def test_a_line_is_one_json_object_carrying_the_bound_ids(
    bot_log: Callable[..., CapturedLog],
) -> None:
    log = bot_log()
    logger = logging.getLogger("bot.example")

    with log_fields(team="T1", channel="C1", prompt="uses", run="r-1"):
        logger.info("two\nlines of message")
        try:
            raise KeyError("missing")
        except KeyError:
            logger.exception("it broke")
    logger.info("after the block")

    text_lines = log.text.splitlines()
    assert len(text_lines) == 3  # the newline and the traceback stay inside their lines
    first, broke, after = (json.loads(line) for line in text_lines)
    assert first["message"] == "two\nlines of message"
    assert first["level"] == "INFO" and first["logger"] == "bot.example"
    assert first["time"].endswith("Z")
    for line in (first, broke):
        assert {k: line[k] for k in ("team", "channel", "prompt", "run")} == {
            "team": "T1",
            "channel": "C1",
            "prompt": "uses",
            "run": "r-1",
        }
    assert "KeyError: 'missing'" in broke["exception"]
    assert not {"team", "channel", "prompt", "run"} & set(after)


def test_nested_bindings_add_to_and_then_restore_the_outer_ones(
    bot_log: Callable[..., CapturedLog],
) -> None:
    log = bot_log()
    logger = logging.getLogger("bot.example")

    with log_fields(team="T1", channel="C1"):
        with log_fields(run="r-2", channel="C2"):
            logger.info("inner")
        logger.info("outer")

    inner, outer = log.lines()
    assert (inner["team"], inner["channel"], inner["run"]) == ("T1", "C2", "r-2")
    assert (outer["team"], outer["channel"]) == ("T1", "C1") and "run" not in outer
    with pytest.raises(TypeError), log_fields(prompts="typo"):
        pass


def test_ids_follow_tasks_into_pool_threads(bot_log: Callable[..., CapturedLog]) -> None:
    log = bot_log()
    logger = logging.getLogger("bot.example")
    with ContextCopyingExecutor(max_workers=1) as pool:
        with log_fields(team="T9", prompt="names"):
            pool.submit(logger.info, "in the pool").result()
        pool.submit(logger.info, "submitted outside").result()

    inside, outside = log.lines()
    assert (inside["team"], inside["prompt"]) == ("T9", "names")
    assert "team" not in outside


# -- requests served by the app -------------------------------------------------------------


class LoggingListeners:
    """A command and an event that log from their listener threads."""

    def __init__(self) -> None:
        self.done = threading.Semaphore(0)

    def register(self, app: App, services: Services) -> None:
        worker_log = logging.getLogger("bot.listeners.probe")

        @app.command("/probe")
        def probe(ack: Any, body: dict[str, Any]) -> None:
            ack()
            worker_log.info("probe work for %s", body["text"])
            self.done.release()

        @app.event("emoji_changed")
        def emoji(event: dict[str, Any]) -> None:
            worker_log.info("emoji %s", event.get("name"))
            self.done.release()


@pytest.fixture
def probe_app(services: Services) -> Iterator[tuple[App, LoggingListeners]]:
    listeners = LoggingListeners()
    app = build_app(services, registrars=[listeners.register])
    yield app, listeners
    shutdown_listeners(app)


def bolt_request(signed: SlackRequest) -> BoltRequest:
    return BoltRequest(body=signed.body, headers={k: [v] for k, v in signed.headers.items()})


def command_request(signer: SlackSigner, body: dict[str, str]) -> BoltRequest:
    return bolt_request(signer.signed(urlencode(body), "application/x-www-form-urlencoded"))


def test_each_request_logs_its_own_ids_in_the_thread_that_serves_it(
    bot_log: Callable[..., CapturedLog],
    probe_app: tuple[App, LoggingListeners],
    signer: SlackSigner,
) -> None:
    app, listeners = probe_app
    log = bot_log()
    command = signer.command_body("first", command="/probe", user_id="U0ANA", channel_id="C0ONE")
    other_team = SlackSigner(team_id="T0OTHER")

    # Dispatched one after the other from this same thread, as a server thread would.
    first = app.dispatch(command_request(signer, command))
    assert first.status == 200 and listeners.done.acquire(timeout=10)
    second = app.dispatch(
        bolt_request(other_team.event({"type": "emoji_changed", "subtype": "add", "name": "ok"}))
    )
    assert second.status == 200 and listeners.done.acquire(timeout=10)
    logging.getLogger("bot.example").info("back in the test")

    [probe] = log.matching(lambda line: line["message"] == "probe work for first")
    assert (probe["team"], probe["channel"], probe["user"]) == (TEAM_ID, "C0ONE", "U0ANA")
    [emoji] = log.matching(lambda line: line["message"] == "emoji ok")
    assert emoji["team"] == "T0OTHER" and emoji["event"].startswith("Ev")
    # Nothing of the first request stayed bound for the second, or for the thread afterwards.
    assert "channel" not in emoji and "user" not in emoji
    [back] = log.matching(lambda line: line["message"] == "back in the test")
    assert "team" not in back


def test_a_listener_binding_more_ids_does_not_affect_the_next_request(
    bot_log: Callable[..., CapturedLog], services: Services, signer: SlackSigner
) -> None:
    done = threading.Semaphore(0)

    def register(app: App, services: Services) -> None:
        @app.command("/probe")
        def probe(ack: Any, body: dict[str, Any]) -> None:
            ack()
            if body["text"] == "bind":
                bind_log_fields(prompt="uses", run="r-7")
            logging.getLogger("bot.listeners.probe").info("served %s", body["text"])
            done.release()

    app = build_app(services, registrars=[register])
    log = bot_log()
    try:
        for text in ("bind", "plain"):
            body = signer.command_body(text, command="/probe")
            assert app.dispatch(command_request(signer, body)).status == 200
            assert done.acquire(timeout=10)
    finally:
        shutdown_listeners(app)

    [bound] = log.matching(lambda line: line["message"] == "served bind")
    [plain] = log.matching(lambda line: line["message"] == "served plain")
    assert (bound["prompt"], bound["run"]) == ("uses", "r-7")
    assert "prompt" not in plain and "run" not in plain


def test_a_prompt_run_logs_its_team_channel_prompt_and_run(
    bot_process: Callable[..., BotProcess],
    fake_gemini: FakeGemini,
    redis_client: redis.Redis,
) -> None:
    """The product as deployed: ``alignbot serve`` writes JSON lines to its output."""
    with ResponseUrlServer() as responses:
        bot = bot_process(model_env=fake_gemini.env)
        person = Person(bot, responses)
        person.ask("new uses Give three uses for {item}.")
        fake_gemini.queue("cut, fold, open")
        person.send("run uses item=scissors")

        store = RunStore(redis_client, Workspace(TEAM_ID))

        def saved_run_id() -> str | None:
            for line in bot.output().splitlines():
                if '"run saved' in line:
                    return str(json.loads(line)["run"])
            return None

        run_id = wait_until(saved_run_id, 15, what=f"a saved run in the log\n{bot.output()}")
    assert store.get(run_id) is not None

    lines = [json.loads(line) for line in bot.output().splitlines() if line.startswith("{")]
    [saved] = [line for line in lines if line["message"].startswith("run saved")]
    assert saved["team"] == TEAM_ID and saved["channel"] == CHANNEL
    assert saved["user"] == person.user and saved["prompt"] == "uses"
    # The model request was logged (by the HTTP client library) under the same prompt.
    model_lines = [line for line in lines if "generatecontent" in line["message"].lower()]
    assert model_lines and all(line.get("prompt") == "uses" for line in model_lines)
    assert all(line.get("channel") == CHANNEL for line in model_lines)
