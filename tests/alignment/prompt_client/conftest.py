"""Fixtures for the prompt API client: the fake API over real HTTP, a clock the test moves, and
a client wired to both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alignment.prompt_client import PromptClient
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

CACHE_SECONDS = 30.0
USES = "Give three uses for the following item: {item}"


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def api() -> Iterator[PromptAPIServer]:
    server = PromptAPIServer().start()
    server.add_version("uses", USES, principles=["Name at least one creative use."])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(api: PromptAPIServer, clock: FakeClock) -> Iterator[PromptClient]:
    with PromptClient(
        api.url, API_KEY, cache_seconds=CACHE_SECONDS, timeout=2.0, clock=clock
    ) as prompts:
        yield prompts
