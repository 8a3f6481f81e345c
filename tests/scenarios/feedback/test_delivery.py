"""A principle change whose thread message cannot be posted still reaches the person behind it.

Through the product's app over real HTTP, with the Slack emulator refusing posts on demand: the
change stays saved exactly as it would have been, the person gets it in a direct message with a
working Undo button, and when even that fails the log says which prompt and version were changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import redis
from slack_sdk import WebClient

from bot.app import register_product as product_listeners
from bot.feedback import views as feedback_views
from bot.feedback.learning import announce_to_giver
from bot.keys import Workspace
from bot.prompts.store import PromptStore
from bot.prompts.version_log import notes, undone_versions
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.feedback.world import (
    THREAD,
    Teammate,
    action_values,
    message_text,
    scripted,
    thread_messages,
    two_candidate_run,
)

WORKSPACE = Workspace(TEAM_ID)
PRINCIPLE = "Follow this: name a safety tip"


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def ana(
    services: Services,
    in_process_bot: Callable[..., InProcessBot],
    redis_client: redis.Redis,
    responses: ResponseUrlServer,
) -> Teammate:
    scripted(services)
    two_candidate_run(redis_client)
    return Teammate(in_process_bot(product_listeners, with_services=services), responses, "U0ANA")


def direct_messages(slack: SlackEmulator, user: str) -> list[dict[str, object]]:
    return [m for m in slack.messages if m["channel"] == user]


def ours(record: logging.LogRecord) -> bool:
    return record.name == "bot.feedback.learning"


def assert_change_saved_once(client: redis.Redis) -> None:
    """What the critique saves whether or not Slack took the message: one version, one note."""
    store = PromptStore(client, WORKSPACE)
    assert [v.version for v in store.versions("uses")] == [1, 2]
    assert store.current("uses").prompt.principles == [PRINCIPLE]
    note = notes(client, WORKSPACE, "uses")[2]
    assert (note.user, note.feedback_kind, note.feedback) == (
        "U0ANA",
        "critique",
        "name a safety tip",
    )
    assert undone_versions(client, WORKSPACE, "uses") == set()


def test_a_change_the_thread_refuses_comes_to_its_giver_with_a_working_undo(
    ana: Teammate, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    slack.fail_next("chat.postMessage", "not_in_channel")
    ana.reply(THREAD, "critique: name a safety tip")

    slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "U0ANA")
    refused = [c for c in slack.calls_to("chat.postMessage") if not c.ok]
    assert [c.params.get("thread_ts") for c in refused] == [THREAD]
    assert thread_messages(slack, THREAD) == []
    (direct,) = direct_messages(slack, "U0ANA")
    shown = message_text(direct)
    for part in ("not_in_channel", "Principle added", PRINCIPLE, "<@U0ANA>", "Undo below"):
        assert part in shown, part
    assert_change_saved_once(redis_client)

    # Undo from the direct message reverts the change, as it would from the thread.
    (value,) = action_values(direct, feedback_views.UNDO_ACTION)
    assert ana.click(direct, feedback_views.UNDO_ACTION, value).status == 200
    slack.wait_for("chat.postMessage", where=lambda c: "Undid version 2" in message_text(c.params))
    store = PromptStore(redis_client, WORKSPACE)
    assert [v.version for v in store.versions("uses")] == [1, 2, 3]
    assert store.current("uses").prompt.principles == []
    marked = wait_until(
        lambda: [m for m in direct_messages(slack, "U0ANA") if "Undone by" in message_text(m)],
        10,
        what="the direct message marked undone",
    )
    assert not action_values(marked[0], feedback_views.UNDO_ACTION)


def test_when_nobody_can_be_told_the_log_names_prompt_version_and_team(
    ana: Teammate,
    slack: SlackEmulator,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.feedback.learning")
    slack.fail_next("chat.postMessage", "channel_not_found", times=2)
    ana.reply(THREAD, "critique: name a safety tip")

    record = wait_until(
        lambda: next((r for r in caplog.records if r.levelno == logging.ERROR and ours(r)), None),
        15,
        what="the error logged",
    )
    line = record.getMessage()
    for part in ("prompt uses", "version 2", f"team {TEAM_ID}", "channel_not_found"):
        assert part in line, part
    assert slack.bot_token not in caplog.text
    assert [c.params["channel"] for c in slack.calls_to("chat.postMessage")][-1] == "U0ANA"
    assert slack.messages == []
    assert_change_saved_once(redis_client)


def test_a_network_failure_on_both_posts_is_logged_not_raised(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    run = two_candidate_run(redis_client)
    # Nothing listens on port 9: every call fails to connect, after slack_sdk's own retry.
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/api/")
    message = feedback_views.no_change("U0ANA", "critique", "already covered")
    with caplog.at_level(logging.WARNING, logger="bot.feedback.learning"):
        announce_to_giver(client, WORKSPACE, run, "U0ANA", message, version=7)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and ours(r)]
    assert len(errors) == 1
    assert "prompt uses version 7" in errors[0] and "URLError" in errors[0]
    assert "xoxb-unused" not in caplog.text
