"""Who may administer a labeler: where its notices go (only channels the requester is in), and
with ``ALIGN_ADMINS`` set, retraining and notifications are the admins', while the person who
started a training may still cancel it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
import redis

from bot.app import register_product
from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import RunStore
from bot.labelers.store import LabelerStore
from bot.services import Services
from tests.bot.labelers.jobs.support import all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slack_emulator import TEAM_ID
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import (
    ALERTS,
    CHANNEL,
    PERSON,
    FileSlack,
    Upload,
    mention,
    wait_for_queued_step,
    wait_for_reply,
)

WORKSPACE = Workspace(TEAM_ID)
CSV = labelled_frame(40).to_csv(index=False).encode()
SECRET = "C0SECRET"
ADMIN = "U0ADMIN"


def say_as(bot: InProcessBot, responses: ResponseUrlServer, user: str, text: str) -> str:
    """``/align TEXT`` typed by ``user`` in the uploads channel; the private answer."""
    before = len(responses.replies)
    body = bot.signer.command_body(text, user_id=user, channel_id=CHANNEL)
    body["response_url"] = f"{responses.url}/as/{user}/{before}"
    answer = bot.post(bot.signer.signed(urlencode(body), "application/x-www-form-urlencoded"))
    assert answer.status == 200
    return message_text(responses.wait_for_reply(before + 1))


@pytest.fixture
def hate(bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime) -> None:
    """Labeler `hate`, trained by PERSON for one step; a private channel PERSON is not in."""
    slack.add_channel(SECRET, "secret", is_private=True, members=["U0SOMEONE"])
    upload = Upload(slack, CSV, mention("train hate label=isHate inputs=comment steps=1"))
    upload.send_all(bot, "message")
    wait_for_queued_step(runtime)
    assert run_burst(runtime)


def test_notices_go_only_to_channels_the_requester_is_in(
    hate: None,
    bot: InProcessBot,
    slack: FileSlack,
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    store = LabelerStore(redis_client, WORKSPACE)
    before = store.notification_settings("hate")
    refused = say_as(bot, responses, PERSON, f"notify hate <#{SECRET}|secret> delta=0.2")
    assert "only to a channel you are in" in refused and f"<#{SECRET}>" in refused
    assert store.notification_settings("hate") == before

    # A channel the person is in, and the channel they are typing in, are theirs to use.
    assert f"<#{ALERTS}>" in say_as(bot, responses, PERSON, f"notify hate <#{ALERTS}|alerts>")
    assert f"<#{CHANNEL}>" in say_as(bot, responses, PERSON, f"notify hate <#{CHANNEL}|uploads>")
    assert store.notification_settings("hate").channel == CHANNEL

    # Training a new labeler with notices aimed at the private channel is refused too.
    upload = Upload(
        slack, CSV, mention(f"train spam label=isHate inputs=comment notify=<#{SECRET}|secret>")
    )
    upload.send_all(bot, "message")
    said = all_text(wait_for_reply(slack, upload)[0])
    assert "only to a channel you are in" in said
    assert not store.exists("spam")


def test_with_admins_only_admins_retrain_or_renotify_and_starters_may_cancel(
    hate: None,
    slack: FileSlack,
    responses: ResponseUrlServer,
    runtime: TrainingRuntime,
    redis_client: redis.Redis,
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    strict = in_process_bot(register_product, with_services=make_services(ALIGN_ADMINS=ADMIN))
    notify = say_as(strict, responses, PERSON, "notify hate delta=0.2")
    assert "Only the bot's admins can change a labeler's notifications. Ask <@U0ADMIN>." in notify
    assert "points" in say_as(strict, responses, PERSON, "notify hate")  # looking stays open
    retrain = say_as(strict, responses, PERSON, "train hate steps=2")
    assert "Only the bot's admins can retrain an existing labeler" in retrain
    assert slack.calls_to("views.open") == []
    # An admin may, and may point notices anywhere.
    assert "20.0 points" in say_as(strict, responses, ADMIN, f"notify hate <#{SECRET}|s> delta=0.2")

    # A new labeler is anyone's to start; its training is its starter's (or an admin's) to stop.
    upload = Upload(slack, CSV, mention("train spam label=isHate inputs=comment steps=3"))
    upload.send_all(strict, "message")
    wait_for_queued_step(runtime)
    cancel = say_as(strict, responses, "U0OTHER", "cancel spam")
    assert "Only the bot's admins can cancel someone else's training" in cancel
    assert RunStore(redis_client, WORKSPACE).running_run_id("spam") is not None
    assert "asked to stop training" in say_as(strict, responses, PERSON, "cancel spam")


def test_a_slack_connect_guest_cannot_train_by_uploading_a_file(
    bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime
) -> None:
    guest = Upload(
        slack, CSV, mention("train hate label=isHate inputs=comment steps=1"), user="U0GUEST"
    )
    for event in (guest.message_event(), guest.mention_event()):
        assert bot.event({**event, "user_team": "T0ELSEWHERE"}).status == 200
    refusal = [
        call
        for call in slack.wait_for("chat.postEphemeral")
        if "another organization" in str(call.params)
    ]
    assert refusal and refusal[0].params["user"] == "U0GUEST"
    assert runtime.queue().count == 0
    assert not LabelerStore(runtime.redis, WORKSPACE).exists("hate")
