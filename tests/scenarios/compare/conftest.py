"""Fixtures of the comparison scenarios: the product's bot in process over real HTTP, its models
talking to the fake Gemini server (whose judge answers the tests script), jobs run by a burst
worker, and an emulator that knows where files were shared (for CSV uploads of examples)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.app import register_product
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, install_runtime
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.compare.world import World
from tests.scenarios.labelers.support import FileSlack


@pytest.fixture
def slack() -> Iterator[FileSlack]:
    with FileSlack() as emulator:
        yield emulator


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def start(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    fake_gemini: FakeGemini,
    responses: ResponseUrlServer,
    slack: FileSlack,
) -> Iterator[Callable[..., World]]:
    """Start the bot (settings overridden by keyword, jobs run with ``config``) with its models
    on the fake Gemini."""
    worlds: list[World] = []

    def started(config: TrainingConfig | None = None, **env: str) -> World:
        services = make_services(**fake_gemini.env, **env)
        # No scripted stand-in: every model call goes over HTTP to the fake server.
        services.models.clear()
        runtime = TrainingRuntime(services, config or TrainingConfig(cancel_check_seconds=0.0))
        install_runtime(runtime)
        bot = in_process_bot(register_product, with_services=services)
        world = World(bot, services, runtime, fake_gemini, responses, slack)
        worlds.append(world)
        return world

    yield started
    install_runtime(None)
