"""Token rotation under the emulator: a workspace's token that expires while a training runs is
refreshed (once, with the refresh token Slack gave), and the training finishes and reports."""

from __future__ import annotations

import threading

import redis

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RunStore
from bot.services import Services
from tests.bot.labelers.jobs.support import World, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.installer import install
from tests.fakes.models import Request
from tests.fakes.slack_signing import SlackSigner
from tests.scenarios.installs.conftest import ALPHA
from tests.scenarios.labelers.support import FileSlack, Upload, mention

CSV = labelled_frame(40).to_csv(index=False).encode()
TRAIN = mention('train hate label=isHate inputs=comment task="Is the comment hateful?" steps=2')


def test_a_token_expiring_mid_training_is_refreshed_and_the_training_finishes(
    bot: InProcessBot,
    slack: FileSlack,
    services: Services,
    runtime: TrainingRuntime,
    world: World,
    redis_client: redis.Redis,
) -> None:
    slack.token_rotation = True
    assert install(bot.base_url, ALPHA).page.status == 200
    [first_token] = slack.tokens_of(ALPHA)
    bot_record = services.installations.find_bot(enterprise_id=None, team_id=ALPHA)
    assert bot_record is not None and bot_record.bot_refresh_token is not None

    upload = Upload(slack, CSV, TRAIN, channel="C0ALPHA")
    assert bot.post(SlackSigner(team_id=ALPHA).event(upload.mention_event())).status == 200
    runs = RunStore(redis_client, Workspace(ALPHA))
    run_id = wait_until(lambda: runs.running_run_id("hate"), 15, what="the training to start")
    wait_until(lambda: runtime.queue().count, 15, what="the first step queued")

    # Slack lets the token lapse once the step is under way.
    expired = threading.Event()

    def expire_once(request: Request) -> None:
        if not expired.is_set():
            expired.set()
            slack.expire(first_token)

    world.before_answer = expire_once
    run_burst(runtime)

    run = runs.load(str(run_id))
    assert expired.is_set()
    assert run is not None and run.status == FINISHED and run.steps_done == 2
    refreshes = [
        call
        for call in slack.calls_to("oauth.v2.access", ok_only=True)
        if call.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    new_token = refreshes[0].response["access_token"]
    refused = [c for c in slack.calls if c.response.get("error") == "token_expired"]
    assert refused and {c.token for c in refused} == {first_token}
    after = slack.calls[slack.calls.index(refreshes[0]) + 1 :]
    assert after and all(c.token == new_token for c in after if c.team_id == ALPHA)
    # The report reached the thread, and the stored bot now holds the new token.
    reports = [
        c
        for c in slack.calls_to("chat.postMessage", ok_only=True)
        if "Report for `hate`" in str(c.params)
    ]
    assert reports and reports[0].token == new_token
    stored = services.installations.find_bot(enterprise_id=None, team_id=ALPHA)
    assert stored is not None and stored.bot_token == new_token
