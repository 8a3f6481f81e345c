"""Two workspaces install the app through the real redirect flow, then each runs a prompt and
trains a labeler: every Slack call made for one is made with its own token, and neither can see
or change what the other has."""

from __future__ import annotations

import redis

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RunStore
from bot.labelers.store import LabelerStore
from bot.prompts.store import PromptStore
from bot.services import Services
from tests.bot.labelers.jobs.support import labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.installer import install
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_signing import SlackSigner
from tests.fakes.slash_commands import Person, ResponseUrlServer
from tests.scenarios.installs.conftest import ALPHA, BRAVO
from tests.scenarios.labelers.support import FileSlack, Upload, mention

CSV = labelled_frame(40).to_csv(index=False).encode()
TRAIN = mention('train hate label=isHate inputs=comment task="Is the comment hateful?" steps=1')
CHANNELS = {ALPHA: "C0ALPHA", BRAVO: "C0BRAVO"}


def train(bot: InProcessBot, slack: FileSlack, team: str) -> Upload:
    upload = Upload(slack, CSV, TRAIN, channel=CHANNELS[team])
    signer = SlackSigner(team_id=team)
    assert bot.post(signer.event(upload.mention_event())).status == 200
    return upload


def test_each_workspace_installs_and_works_with_its_own_token_alone(
    bot: InProcessBot,
    slack: FileSlack,
    services: Services,
    runtime: TrainingRuntime,
    model: ScriptedModel,
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    for team, name in ((ALPHA, "Alpha"), (BRAVO, "Bravo")):
        visit = install(bot.base_url, team)
        assert visit.page.status == 200
        assert "alignbot is installed" in visit.page.body and name in visit.page.body
    alpha_token, bravo_token = slack.tokens_of(ALPHA)[0], slack.tokens_of(BRAVO)[0]
    stored = services.installations.find_bot(enterprise_id=None, team_id=ALPHA)
    assert stored is not None and stored.bot_token == alpha_token
    assert services.installations.find_installation(enterprise_id=None, team_id=BRAVO)

    alpha = Person(bot, responses, team_id=ALPHA)
    bravo = Person(bot, responses, team_id=BRAVO)
    assert "Created *`uses`*" in alpha.ask("new uses Give three uses for {item}.")
    model.queue("Cut paper into strips.")
    alpha.send("run uses item=scissors", channel=CHANNELS[ALPHA])
    # The answer replaces the "Thinking…" note in the run's thread.
    answered = slack.wait_for("chat.update", where=lambda c: "Cut paper" in str(c.params))[0]
    assert answered.token == alpha_token and answered.team_id == ALPHA

    # Bravo sees nothing of Alpha's prompt, and its own of the same name is its own.
    assert "uses" not in bravo.ask("list")
    assert "uses" in bravo.ask("run uses item=glue")  # refused: names the unknown prompt
    assert "Created *`uses`*" in bravo.ask("new uses Name a use of {item}.")
    alpha_prompts = PromptStore(services.redis, Workspace(ALPHA))
    bravo_prompts = PromptStore(services.redis, Workspace(BRAVO))
    assert "Give three uses" in str(alpha_prompts.current("uses").template)
    assert "Name a use" in str(bravo_prompts.current("uses").template)

    # Alpha trains a labeler; Bravo trains one of the same name; both finish in one burst.
    uploads = {team: train(bot, slack, team) for team in (ALPHA, BRAVO)}
    wait_until(lambda: runtime.queue().count >= 2, 15, what="both trainings queued")
    run_ids = {
        team: RunStore(redis_client, Workspace(team)).running_run_id("hate")
        for team in (ALPHA, BRAVO)
    }
    assert run_ids[ALPHA] and run_ids[BRAVO] and run_ids[ALPHA] != run_ids[BRAVO]
    assert run_burst(runtime)
    for team in (ALPHA, BRAVO):
        run = RunStore(redis_client, Workspace(team)).load(str(run_ids[team]))
        assert run is not None and run.status == FINISHED and run.thread_ts == uploads[team].ts
        assert LabelerStore(redis_client, Workspace(team)).exists("hate")
        # The other workspace's run is not there to be read under this workspace's name.
        other = BRAVO if team == ALPHA else ALPHA
        assert RunStore(redis_client, Workspace(team)).load(str(run_ids[other])) is None

    # Every call the bot made about a workspace's channel carried that workspace's token.
    for team, token in ((ALPHA, alpha_token), (BRAVO, bravo_token)):
        about = [
            call
            for call in slack.calls
            if CHANNELS[team] in (call.params.get("channel"), call.params.get("channel_id"))
        ]
        assert about and {call.token for call in about} == {token}, team
    assert all(call.ok for call in slack.calls if call.token in (alpha_token, bravo_token))
