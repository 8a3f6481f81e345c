"""A mixture of experts trained from Slack: `experts=2` in the train message reaches the
labeler, the run trains two experts through the job queue, and the report shows each one."""

from __future__ import annotations

import pytest
import redis

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import RunStore
from bot.labelers.store import LabelerStore
from tests.bot.labelers.jobs.support import World, all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import EmbeddingScriptedModel
from tests.fakes.slack_emulator import TEAM_ID
from tests.scenarios.labelers.support import (
    FileSlack,
    Upload,
    bot_replies,
    mention,
    wait_for_queued_step,
    wait_for_reply,
)

WORKSPACE = Workspace(TEAM_ID)


@pytest.fixture
def model(world: World) -> EmbeddingScriptedModel:
    """The pretend world's answers, from a model that also embeds (hateful rows far apart)."""
    return EmbeddingScriptedModel(
        responder=world.respond,
        embedder=lambda text: [1.0, 0.1] if "kw" in text and _hateful(text) else [0.1, 1.0],
    )


def _hateful(text: str) -> bool:
    number = int(text.split("kw", 1)[1].split()[0])
    return number % 3 == 0


def test_experts_in_the_train_message_train_a_mixture_and_the_report_shows_each(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    model: EmbeddingScriptedModel,
    redis_client: redis.Redis,
) -> None:
    csv = labelled_frame(40).to_csv(index=False).encode()
    upload = Upload(slack, csv, mention("train hate label=isHate inputs=comment steps=1 experts=2"))
    upload.send_all(bot, "shared,message,mention")
    runs = RunStore(redis_client, WORKSPACE)
    run_id = wait_until(lambda: runs.running_run_id("hate"), 15, what="a training run")
    run = runs.load(run_id)
    assert run is not None and run.settings["n_experts"] == 2
    wait_for_queued_step(runtime)
    assert run_burst(runtime)
    current = LabelerStore(redis_client, WORKSPACE).current("hate")
    assert current is not None and len(current.checkpoint.experts) == 2
    assert model.embedded, "the training rows were embedded"
    texts = [all_text(message) for message in bot_replies(slack, upload)]
    report = "\n".join(texts)
    assert "*Experts, on the test rows*" in report
    assert "Expert 1 of 2" in report and "Expert 2 of 2" in report


def test_more_experts_than_the_rows_allow_is_refused_before_anything_starts(
    bot: InProcessBot, slack: FileSlack, redis_client: redis.Redis
) -> None:
    csv = labelled_frame(20).to_csv(index=False).encode()
    upload = Upload(slack, csv, mention("train hate label=isHate inputs=comment experts=8"))
    upload.send_all(bot, "message")
    reply = all_text(wait_for_reply(slack, upload)[0])
    assert "n_experts=8 needs at least 32 training rows" in reply
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None
