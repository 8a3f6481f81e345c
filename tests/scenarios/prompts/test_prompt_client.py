"""The library's ``PromptClient`` against the real prompt API, end to end.

``alignbot serve`` as deployed, the Slack emulator, and an application holding a
``PromptClient``: a team promotes a version in Slack and the application fetches it by label;
the team promotes another version and the application sees it once its cache time has passed
(an unchanged prompt is revalidated with ``If-None-Match`` and kept), or at once with no cache
time; and when the server stops, the application keeps serving its last copy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import pytest
import redis

from alignment import PromptClient
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt
from bot.keys import Workspace
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore
from tests.fakes.bot_harness import BotProcess, wait_until
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.feedback.world import Teammate, message_text

WORKSPACE = Workspace(TEAM_ID)
API_KEY = re.compile(r"ab_[A-Za-z0-9_-]{40}")
CACHE_SECONDS = 30.0


class Clock:
    """The application's monotonic clock, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


def promoted(slack: SlackEmulator, version: int) -> None:
    slack.wait_for(
        "chat.postMessage",
        where=lambda c: f"version {version} to `production`" in message_text(c.params),
    )


def test_an_application_follows_the_production_label(
    bot_process: Callable[..., BotProcess],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = bot_process(ALIGN_EVENT_PROCESSES="0")
    ana = Teammate(bot, responses, "U0ANA")
    store = PromptStore(redis_client, WORKSPACE)
    ana.ask("new uses Give three uses for {item}.")
    ana.ask("edit uses Give two uses for {item}, one line each.")
    ana.send("config uses temperature=0.2")
    wait_until(lambda: store.current("uses").version == 3, 15, what="the configured version")
    key = API_KEY.search(ana.ask("apikey create shop-app"))
    assert key is not None
    ana.send("promote uses 2")
    promoted(slack, 2)

    clock = Clock()
    app = PromptClient(bot.base_url, key.group(0), cache_seconds=CACHE_SECONDS, clock=clock)
    eager = PromptClient(bot.base_url, key.group(0), cache_seconds=0)
    first = app.get("uses", label="production", fallback="Uses of {item}?")
    assert (first.version, first.labels, first.is_fallback) == (2, ("production",), False)
    assert first.format(item="scissors") == "Give two uses for scissors, one line each."
    assert first.model_settings.temperature is None
    seed: ConstitutionalPrompt = first.to_constitutional_prompt()
    assert seed.preamble == first.template
    run = first.to_single_run(ScriptedModel(answers=["1. Cut 2. Trim"]))
    assert isinstance(run, AlignableSingleRun)
    assert run.send_input({"item": "scissors"}).text == "1. Cut 2. Trim"
    assert eager.get("uses", label="production").version == 2

    # Revalidated after the cache time with If-None-Match: unchanged, so the same copy is kept.
    clock.now += CACHE_SECONDS + 1
    assert app.get("uses", label="production") is first

    # The team promotes version 3 (with its own model settings).
    ana.send("promote uses 3")
    promoted(slack, 3)
    assert LabelStore(redis_client, WORKSPACE).version_of("uses", "production") == 3
    # Within its cache time the application still has version 2; with no cache time, a
    # conditional request sees the change at once.
    assert app.get("uses", label="production").version == 2
    changed = eager.get("uses", label="production")
    assert (changed.version, changed.model_settings.temperature) == (3, 0.2)
    clock.now += CACHE_SECONDS + 1
    latest = app.get("uses", label="production")
    assert latest.version == 3 and latest.labels == ("production",)

    # The server stops: the application keeps serving its last copy, with a warning.
    bot.stop()
    clock.now += CACHE_SECONDS + 1
    with caplog.at_level(logging.WARNING, logger="alignment.prompt_client"):
        kept = app.get("uses", label="production", fallback="Uses of {item}?")
    assert kept.version == 3 and not kept.is_fallback
    assert kept.format(item="glue") == "Give two uses for glue, one line each."
    assert any("serving version 3" in r.getMessage() for r in caplog.records)
    assert key.group(0) not in caplog.text
    app.close()
    eager.close()
