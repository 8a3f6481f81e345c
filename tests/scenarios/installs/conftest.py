"""Fixtures: the product's app in OAuth mode over real HTTP, against an emulator that knows two
workspaces, with a training runtime on a pretend model."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.app import register_product
from bot.labelers.jobs.runtime import TrainingRuntime, install_runtime
from bot.services import Services
from tests.bot.labelers.jobs.support import FakeClock, World, labelled_frame
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import CLIENT_ID, CLIENT_SECRET
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.labelers.conftest import TEST_CONFIG
from tests.scenarios.labelers.support import FileSlack

ALPHA, BRAVO = "T0ALPHA", "T0BRAVO"
STATE_SECRET = "a-state-secret-for-tests-only-0123456789"
GRACE_DAYS = 2.0
OAUTH_ENV = {
    "SLACK_BOT_TOKEN": "",
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "SLACK_STATE_SECRET": STATE_SECRET,
    "ALIGN_UNINSTALL_GRACE_DAYS": str(GRACE_DAYS),
}


@pytest.fixture
def slack() -> Iterator[FileSlack]:
    with FileSlack() as emulator:
        emulator.add_workspace(ALPHA, "Alpha")
        emulator.add_workspace(BRAVO, "Bravo")
        yield emulator


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services(**OAUTH_ENV)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(labelled_frame(40), clock)


@pytest.fixture
def model(world: World) -> ScriptedModel:
    return world.model()


@pytest.fixture
def runtime(
    services: Services, model: ScriptedModel, clock: FakeClock
) -> Iterator[TrainingRuntime]:
    for spec in {services.settings.model_spec, services.settings.effective_train_model_spec}:
        services.models[spec] = model
    made = TrainingRuntime(services, TEST_CONFIG, clock)
    install_runtime(made)
    yield made
    install_runtime(None)


@pytest.fixture
def bot(
    in_process_bot: Callable[..., InProcessBot], runtime: TrainingRuntime, slack: FileSlack
) -> InProcessBot:
    started = in_process_bot(register_product)
    slack.redirect_url = f"{started.base_url}/slack/oauth_redirect"
    return started


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server
