"""Fixtures of the feedback scenarios: the private-reply server, and a bot over a saved run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from bot.app import register_product
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.models import ScriptedModel
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.feedback.world import scripted, two_candidate_run


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def start(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    redis_client: redis.Redis,
) -> Callable[..., tuple[InProcessBot, ScriptedModel]]:
    """Start the product's bot, settings overridden by keyword, over the two-candidate run."""

    def started(**env: str) -> tuple[InProcessBot, ScriptedModel]:
        services = make_services(**env)
        model = scripted(services)
        two_candidate_run(redis_client)
        return in_process_bot(register_product, with_services=services), model

    return started
