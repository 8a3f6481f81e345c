"""Fixtures for training tests: a runtime on the test Redis and emulator with a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.labelers.jobs.runtime import TrainingConfig, TrainingRuntime, install_runtime
from bot.services import Services
from tests.bot.labelers.jobs.support import FakeClock, World, labelled_frame

# Short enough that tests resume dead steps quickly, long enough for a loaded CI machine.
TEST_LEASE_SECONDS = 2.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_runtime(
    make_services: Callable[..., Services], clock: FakeClock
) -> Iterator[Callable[..., TrainingRuntime]]:
    """A runtime on fresh services; ``config`` overrides go by keyword."""

    def make(services: Services | None = None, **config: Any) -> TrainingRuntime:
        settings = replace(
            TrainingConfig(lease_seconds=TEST_LEASE_SECONDS, cancel_check_seconds=0.0), **config
        )
        runtime = TrainingRuntime(services or make_services(), settings, clock)
        install_runtime(runtime)
        return runtime

    yield make
    install_runtime(None)


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(labelled_frame(), clock)


@pytest.fixture
def runtime(make_runtime: Callable[..., TrainingRuntime], world: World) -> TrainingRuntime:
    """A runtime whose one model (both roles) is the pretend world."""
    made = make_runtime()
    model = world.model()
    settings = made.services.settings
    for spec in {settings.model_spec, settings.effective_train_model_spec}:
        made.services.models[spec] = model
    return made
