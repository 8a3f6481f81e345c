"""Who may promote, configure and manage keys when ALIGN_ADMINS is set; refusals change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from bot.api.keys import ApiKeyStore
from bot.app import register_product
from bot.keys import Workspace
from bot.prompts.audit import AuditLog
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import Teammate, action_values, message_text

WORKSPACE = Workspace(TEAM_ID)
ADMIN, MEMBER = "U0ADMIN", "U0MEMBER"


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def bot(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    redis_client: redis.Redis,
) -> InProcessBot:
    store = PromptStore(redis_client, WORKSPACE)
    store.create("uses", "Give three uses for {item}.", ADMIN)
    store.edit("uses", "Give two uses for {item}.", ADMIN)
    services = make_services(ALIGN_ADMINS=ADMIN)
    return in_process_bot(register_product, with_services=services)


def test_members_are_refused_and_told_who_may(
    bot: InProcessBot, responses: ResponseUrlServer, redis_client: redis.Redis
) -> None:
    member = Teammate(bot, responses, MEMBER)
    for command in ("promote uses 2", "config uses temperature=0.1", "apikey create app"):
        refusal = member.ask(command)
        assert "Only the bot's admins can" in refusal and f"<@{ADMIN}>" in refusal
    assert LabelStore(redis_client, WORKSPACE).labels("uses") == {}
    assert len(PromptStore(redis_client, WORKSPACE).versions("uses")) == 2
    assert ApiKeyStore(redis_client, WORKSPACE).records() == []
    refused = [e.action for e in AuditLog(redis_client, WORKSPACE).entries()]
    assert {"promote-refused", "config-refused", "apikey-refused"} <= set(refused)
    # Reading stays open to everyone.
    assert "No API keys yet" in member.ask("apikey list")
    assert "temperature default" in member.ask("config uses")


def test_an_admins_promotion_and_the_members_click_on_its_button(
    bot: InProcessBot,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    admin, member = Teammate(bot, responses, ADMIN), Teammate(bot, responses, MEMBER)
    admin.send("promote uses 2 staging")
    message = slack.wait_for(
        "chat.postMessage", where=lambda c: "to `staging`" in message_text(c.params)
    )[0]
    posted = next(m for m in slack.channel_messages(CHANNEL) if m["ts"] == message.response["ts"])
    assert "already" in admin.ask("promote uses 2 staging")
    value = action_values(posted, "alignbot_label_back")[0]
    before = len(responses.replies)
    member.click(posted, "alignbot_label_back", value)
    assert "Only the bot's admins can" in message_text(responses.wait_for_reply(before + 1))
    assert LabelStore(redis_client, WORKSPACE).labels("uses") == {"staging": 2}
    # The admin's click takes the label off again: it was on no version before.
    admin.click(posted, "alignbot_label_back", value)
    slack.wait_for(
        "chat.postMessage", where=lambda c: "took `staging` off" in message_text(c.params)
    )
    assert LabelStore(redis_client, WORKSPACE).labels("uses") == {}
    assert "no version 7" in admin.ask("promote uses 7")
