"""Shared fixtures: one Redis per test session (flushed per test), the Slack emulator, the fake
Gemini server, settings and services wired to them, and bots to run against them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.config import Settings, load_settings
from bot.redis_conn import RedisConnection, open_embedded
from bot.services import Services
from tests.fakes.bot_harness import BotProcess, InProcessBot, bot_environment, free_port
from tests.fakes.leftovers import embedded_server_pid, end_leftovers, end_process, mark_this_run
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slack_signing import SIGNING_SECRET, SlackSigner


def pytest_sessionstart(session: pytest.Session) -> None:
    # Before any fixture starts a process, so every one of them carries the run's marker.
    mark_this_run()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a process it started is still alive (after ending it)."""
    left = end_leftovers(mark_this_run())
    if left:
        session.config.get_terminal_writer().line(
            "processes started by the tests outlived them (now killed):\n  " + "\n  ".join(left),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when the run provides one, else an embedded server for the whole session."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    embedded = open_embedded(tmp_path_factory.mktemp("redis"))
    server_pid = embedded_server_pid(embedded.url)
    try:
        yield embedded.url
    finally:
        embedded.close()
        # The embedded server is started detached, with an empty environment, so the run's marker
        # cannot find it: it is ended here by its pid, which no other process of the run shares.
        end_process(server_pid)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A str client on the session's Redis, emptied before each test."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def signer() -> SlackSigner:
    return SlackSigner()


@pytest.fixture
def fake_gemini() -> Iterator[Any]:
    from tests.fakes.gemini_server import FakeGemini

    with FakeGemini() as server:
        yield server


@pytest.fixture
def make_settings(slack: SlackEmulator, redis_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for an in-process bot: emulator, session Redis, a free port; override by name."""

    def make(**env: str) -> Settings:
        environ = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "REDIS_URL": redis_url,
            "ALIGN_DATA_DIR": str(tmp_path / "data"),
            "GEMINI_API_KEY": "unused-key",
            "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9",
            "PORT": str(free_port()),
            **env,
        }
        return load_settings(environ, dotenv_path=None)

    return make


@pytest.fixture
def make_services(
    make_settings: Callable[..., Settings], redis_url: str, redis_client: redis.Redis
) -> Iterator[Callable[..., Services]]:
    """Services on the emulator and the flushed Redis, with one scripted model for both roles;
    keyword arguments are settings overrides (e.g. ``SLACK_APP_TOKEN`` for Socket Mode)."""
    made: list[Services] = []

    def make(**env: str) -> Services:
        settings = make_settings(**env)
        built = Services(settings=settings, redis_connection=RedisConnection(redis_url))
        model = ScriptedModel()
        built.models[settings.model_spec] = model
        built.models[settings.effective_alignment_model_spec] = model
        made.append(built)
        return built

    yield make
    for built in made:
        built.close()


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services()


@pytest.fixture
def in_process_bot(services: Services) -> Iterator[Callable[..., InProcessBot]]:
    """Start the app with the listeners a test registers: ``in_process_bot(register, ...)``."""
    started: list[InProcessBot] = []

    def start(
        *registrars: Any,
        signer: SlackSigner | None = None,
        with_services: Services | None = None,
        api: Any = None,
    ) -> InProcessBot:
        bot = InProcessBot(with_services or services, list(registrars), signer=signer, api=api)
        bot.start()
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.stop()


@pytest.fixture
def bot_process(
    slack: SlackEmulator, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[Callable[..., BotProcess]]:
    """Start ``alignbot serve`` as a child process: ``bot_process(model_env=..., **env)``.

    Started bots are stopped (SIGTERM) at the end of the test.
    """
    started: list[BotProcess] = []

    def start(
        model_env: dict[str, str] | None = None,
        socket_mode: bool = False,
        wait: bool = True,
        **env: str,
    ) -> BotProcess:
        environment = bot_environment(
            slack, redis_url, tmp_path / "data", model_env, socket_mode=socket_mode
        )
        environment.update(env)
        bot = BotProcess(environment, tmp_path / f"bot{len(started)}").start()
        started.append(bot)
        if wait and socket_mode:
            slack.socket_mode.wait_connected(30)
        elif wait:
            bot.wait_ready()
        return bot

    yield start
    for bot in started:
        bot.stop()
