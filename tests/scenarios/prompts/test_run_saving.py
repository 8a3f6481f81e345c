"""A run whose answers were posted but could not be saved: people must not be left reacting to an
answer that no feedback can reach."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from bot.app import register_product
from bot.keys import Workspace
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, Person, ResponseUrlServer, message_text

WORKSPACE = Workspace(TEAM_ID)


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


def test_answers_are_withdrawn_when_their_run_cannot_be_saved(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = make_services()
    model = services.models[services.settings.model_spec]
    assert isinstance(model, ScriptedModel)
    PromptStore(redis_client, WORKSPACE).create("uses", "Give three uses for {item}.", "U0OWNER")
    person = Person(in_process_bot(register_product, with_services=services), responses)

    def redis_gone(self: RunStore, record: RunRecord) -> None:
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(RunStore, "save", redis_gone)
    model.queue("Cut paper, open boxes, trim string.")
    told = person.ask("run uses item=scissors")

    assert "Saving the run failed" in told
    answered = slack.wait_for("chat.update", where=lambda c: "Cut paper" in message_text(c.params))[
        0
    ]

    def withdrawn() -> list[Any]:
        return [
            c
            for c in slack.calls_to("chat.update")
            if c.params["ts"] == answered.params["ts"]
            and "could not be saved" in message_text(c.params)
        ]

    wait_until(withdrawn, 10, what="the posted answer to be withdrawn")
    shown = [m for m in slack.channel_messages(CHANNEL) if m["ts"] == answered.params["ts"]]
    assert "Cut paper" not in message_text(shown[0])
