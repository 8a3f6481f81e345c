"""What one person can cost: budgets on model calls, and a pool that says "busy" when full.

Each test fails on a bot without the limit: the model would be called for every toggle of a
reaction and every run, and a full pool would take commands without end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
import redis

from bot.app import register_product
from bot.services import Services
from bot.transport import background
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import BOT_USER_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, Person, ResponseUrlServer
from tests.scenarios.feedback.world import FIRST_ANSWER, Teammate, scripted, two_candidate_run


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


def suggestion_calls(model: ScriptedModel) -> int:
    return sum("draft 3 pieces of" in request.prompt for request in model.requests)


def test_toggling_a_reaction_stops_costing_once_the_budget_is_spent(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    services = make_services(ALIGN_USER_CALLS_PER_HOUR="3")
    model = scripted(services)
    two_candidate_run(redis_client)
    ana = Teammate(in_process_bot(register_product, with_services=services), responses, "U0ANA")

    for _ in range(8):
        ana.react("+1", FIRST_ANSWER)
        ana.react("+1", FIRST_ANSWER, removed=True)

    def refusals() -> list[object]:
        return [
            call
            for call in slack.calls_to("chat.postEphemeral")
            if "model-call budget" in str(call.params) and call.params.get("user") == "U0ANA"
        ]

    wait_until(refusals, 15, what="the budget refusal")
    time.sleep(0.5)  # time for any further toggle that might wrongly call the model
    assert suggestion_calls(model) == 3


def test_runs_past_the_budget_are_refused_privately_and_call_no_model(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    services = make_services(ALIGN_USER_CALLS_PER_HOUR="3")
    model = services.models[services.settings.model_spec]
    assert isinstance(model, ScriptedModel)
    person = Person(in_process_bot(register_product, with_services=services), responses)
    person.ask("new uses Give three uses for {item}.")
    model.queue("one", "two")
    person.send("run uses item=scissors --n 2")
    wait_until(lambda: len(model.requests) == 2, 15, what="two candidates")

    refused = person.ask("run uses item=paper --n 2")
    assert "used the model-call budget (3 per 1 hour)" in refused
    too_big = person.ask("run uses item=paper --n 8")
    assert "would take 8 model calls" in too_big
    assert len(model.requests) == 2


def test_a_full_pool_answers_busy_at_the_ack(
    services: Services,
    in_process_bot: Callable[..., InProcessBot],
    responses: ResponseUrlServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "MAX_TASKS", 3)
    monkeypatch.setattr(background, "_COMMAND_ROOM", 1)
    bot = in_process_bot(register_product, with_services=services)
    person = Person(bot, responses)
    release = threading.Event()

    def held() -> None:
        release.wait(10)

    work = background.background_work_of(bot.app)
    for _ in range(2):
        work.submit("held", held)
    try:
        body = person.signer.command_body("list", user_id=person.user, channel_id=CHANNEL)
        body["response_url"] = f"{responses.url}/commands/0"
        request = person.signer.signed(urlencode(body), "application/x-www-form-urlencoded")
        answer = bot.post(request)
        assert answer.status == 200
        assert "busy" in answer.body
        with pytest.raises(background.PoolFullError):
            for _ in range(2):
                work.submit("more", held)
    finally:
        release.set()
    assert "alignbot commands" not in str(responses.replies)


def test_a_full_pool_tells_the_person_of_a_mentioned_command_it_is_busy(
    services: Services,
    in_process_bot: Callable[..., InProcessBot],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "MAX_TASKS", 2)
    bot = in_process_bot(register_product, with_services=services)
    release = threading.Event()

    def held() -> None:
        release.wait(10)

    work = background.background_work_of(bot.app)
    for _ in range(2):
        work.submit("held", held)
    try:
        ana = Teammate(bot, responses, "U0ANA")
        mention = {
            "type": "app_mention",
            "user": "U0ANA",
            "text": f"<@{BOT_USER_ID}> cancel hate",
            "channel": CHANNEL,
            "ts": "1700000001.000100",
            "event_ts": "1700000001.000100",
        }
        assert ana.event(mention).status == 200
        told = wait_until(
            lambda: [c for c in slack.calls_to("chat.postEphemeral") if "busy" in str(c.params)],
            10,
            what="the busy answer",
        )
        assert told[0].params["user"] == "U0ANA"
    finally:
        release.set()
