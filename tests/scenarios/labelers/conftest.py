"""Fixtures: the product's app in process, over real HTTP, against an emulator that knows file
shares; a training runtime with a pretend model and a clock that moves with each model call."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.app import register_product
from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, install_runtime
from bot.services import Services
from tests.bot.labelers.jobs.support import FakeClock, World, labelled_frame
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.models import ScriptedModel
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.labelers.support import ALERTS, PERSON, FileSlack

# Short, so a test never waits long for anything lease-related; cancel flags read every call.
TEST_CONFIG = TrainingConfig(lease_seconds=2.0, cancel_check_seconds=0.0)


@pytest.fixture
def slack() -> Iterator[FileSlack]:
    with FileSlack() as emulator:
        # The uploader is in the channels the tests point accuracy notices at.
        emulator.add_channel(ALERTS, "alerts", members=[PERSON])
        emulator.add_channel("C0MLALERTS", "ml-alerts", members=[PERSON])
        yield emulator


@pytest.fixture
def clock(slack: FileSlack) -> FakeClock:
    made = FakeClock()
    slack.clock = made
    return made


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(labelled_frame(40), clock)


@pytest.fixture
def model(world: World) -> ScriptedModel:
    """The one model of both roles; it answers as the pretend world unless a test says else."""
    return world.model()


@pytest.fixture
def runtime(
    services: Services, model: ScriptedModel, clock: FakeClock
) -> Iterator[TrainingRuntime]:
    """The runtime jobs use, with ``model`` in both roles."""
    for spec in {services.settings.model_spec, services.settings.effective_train_model_spec}:
        services.models[spec] = model
    made = TrainingRuntime(services, TEST_CONFIG, clock)
    install_runtime(made)
    yield made
    install_runtime(None)


@pytest.fixture
def bot(in_process_bot: Callable[..., InProcessBot], runtime: TrainingRuntime) -> InProcessBot:
    return in_process_bot(register_product)


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server
