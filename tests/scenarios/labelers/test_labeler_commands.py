"""A trained labeler in Slack: `/align label` for one example, a CSV labelled in its thread,
`/align notify`, and the labeler side of `/align list`, `show`, `rollback` and App Home."""

from __future__ import annotations

import csv
import io

import pytest
import redis

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.store import LabelerStore
from bot.prompts.store import PromptStore
from tests.bot.labelers.jobs.support import all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import (
    ALERTS,
    CHANNEL,
    PERSON,
    FileSlack,
    Upload,
    bot_replies,
    command,
    mention,
    wait_for_queued_step,
)

WORKSPACE = Workspace(TEAM_ID)
CSV = labelled_frame(40).to_csv(index=False).encode()


def says_vermin(request: Request) -> str:
    """After training: a plain model that calls anything about vermin hateful."""
    example = request.prompt.rsplit("Example:", 1)[-1]
    return "True" if "vermin" in example else "False"


@pytest.fixture
def trained(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    model: ScriptedModel,
    redis_client: redis.Redis,
) -> ScriptedModel:
    """Labeler `hate` trained for two steps (versions 1 and 2); returns its model, now answering
    with ``says_vermin``."""
    upload = Upload(slack, CSV, mention("train hate label=isHate inputs=comment steps=2"))
    upload.send_all(bot, "message")
    wait_for_queued_step(runtime)
    assert run_burst(runtime)
    assert LabelerStore(redis_client, WORKSPACE).version_count(redis_client, "hate") == 2
    model.responder = says_vermin
    return model


class Asker:
    """Types `/align ...` and reads the private answer."""

    def __init__(self, bot: InProcessBot, responses: ResponseUrlServer) -> None:
        self.bot, self.responses, self.count = bot, responses, 0

    def __call__(self, text: str) -> str:
        command(self.bot, text, f"{self.responses.url}/reply/{self.count}")
        self.count += 1
        return message_text(self.responses.wait_for_reply(self.count))


@pytest.fixture
def ask(bot: InProcessBot, responses: ResponseUrlServer) -> Asker:
    return Asker(bot, responses)


def test_label_answers_for_one_example_given_as_text_or_as_its_column(
    trained: ScriptedModel, ask: Asker, redis_client: redis.Redis
) -> None:
    assert "*isHate* = *True*" in ask('label hate "Get out, you vermin"')
    assert "(version 2)" in ask("label hate they are vermin")
    assert "*isHate* = *False*" in ask('label hate comment="What a lovely day"')
    # With one input column, text that looks like a setting is still the example.
    assert "*isHate* = *False*" in ask("label hate rating=5")

    assert "no labeler named `nobody`" in ask("label nobody hello")
    PromptStore(redis_client, WORKSPACE).create("greeting", "Say hello to {who}.", PERSON)
    assert "is a prompt, not a labeler" in ask("label greeting hello")
    assert "Give the example to label" in ask("label hate")

    def refuses(request: Request) -> str:
        raise RuntimeError("quota exceeded for key=AIza" + "k" * 35)

    trained.responder = refuses
    failed = ask("label hate some brand new words")
    assert "could not label this example" in failed and "quota exceeded" in failed
    assert "AIza" not in failed


def test_a_csv_uploaded_with_label_gets_a_predictions_file_in_its_thread(
    trained: ScriptedModel, bot: InProcessBot, slack: FileSlack
) -> None:
    rows = 'comment\n"Get out of our town, you vermin"\nLovely staff\n"=HYPERLINK(""x"")"\n'
    upload = Upload(slack, rows.encode(), mention("label hate"), name="new.csv")
    upload.send_all(bot, "shared,message,mention")

    done = slack.wait_for(
        "files.completeUploadExternal",
        timeout=15,
        where=lambda call: call.params.get("thread_ts") == upload.ts,
    )[0]
    assert "3 rows labelled by `hate` (version 2)" in str(done.params.get("initial_comment"))
    url_call = slack.calls_to("files.getUploadURLExternal", ok_only=True)[-1]
    assert url_call.params["filename"] == "new-labelled-by-hate.csv"
    content = slack.files[url_call.response["file_id"]].content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    assert table == [
        ["comment", "predicted_isHate"],
        ["Get out of our town, you vermin", "True"],
        ["Lovely staff", "False"],
        ['\'=HYPERLINK("x")', "False"],
    ]
    assert sum("Labelling 3 rows" in all_text(m) for m in bot_replies(slack, upload)) == 1


def test_a_model_failure_while_labelling_a_csv_is_said_in_its_thread(
    trained: ScriptedModel, bot: InProcessBot, slack: FileSlack
) -> None:
    def refuses(request: Request) -> str:
        raise RuntimeError("the model is overloaded")

    trained.responder = refuses
    upload = Upload(slack, b"comment\nnever seen before\n", mention("label hate"), name="n.csv")
    upload.send_all(bot, "shared,message,mention")
    said = wait_until(
        lambda: [t for t in map(all_text, bot_replies(slack, upload)) if "model failed" in t],
        15,
        what="the failure in the thread",
    )
    assert "the model is overloaded" in said[0]
    uploads = [c.params.get("filename") for c in slack.calls_to("files.getUploadURLExternal")]
    assert not [name for name in uploads if "labelled-by" in str(name)]


def test_notify_changes_and_shows_where_accuracy_notices_go(
    trained: ScriptedModel, ask: Asker, redis_client: redis.Redis
) -> None:
    saved = ask(f"notify hate <#{ALERTS}|alerts> target=0.9 delta=0.1")
    assert f"<#{ALERTS}>" in saved and "10.0 points" in saved and "90%" in saved
    settings = LabelerStore(redis_client, WORKSPACE).notification_settings("hate")
    assert (settings.channel, settings.target, settings.delta) == (ALERTS, 0.9, 0.1)

    assert "5.0 points" in ask("notify hate delta=0.05")
    shown = ask("notify hate")
    assert f"<#{ALERTS}>" in shown and "5.0 points" in shown
    assert "not a setting of `notify`" in ask("notify hate every=step")
    assert "no labeler named `ghost`" in ask("notify ghost delta=0.1")


def test_list_show_rollback_and_home_cover_the_labeler(
    trained: ScriptedModel,
    ask: Asker,
    bot: InProcessBot,
    slack: FileSlack,
    redis_client: redis.Redis,
) -> None:
    PromptStore(redis_client, WORKSPACE).create("greeting", "Say hello to {who}.", PERSON)
    accuracy = LabelerStore(redis_client, WORKSPACE).summaries()[0].accuracy
    assert accuracy is not None

    listed = ask("list")
    assert "`greeting`" in listed and "Labelers in this workspace (1)" in listed
    assert f"`hate` version 2, test accuracy {accuracy:.1%}" in listed

    plots_before = len(slack.calls_to("files.completeUploadExternal", ok_only=True))
    shown = ask("show hate")
    assert "version 2 of 2" in shown and "Last test scores" in shown
    assert "Rules for True" in shown and "Rules for False" in shown
    slack.wait_for("files.completeUploadExternal", plots_before + 1)

    command(bot, "rollback hate 1", "http://127.0.0.1:9/unused")
    announced = wait_until(lambda: _announcement(slack), 10, what="the rollback announcement")
    assert "from version 2 to version 1" in all_text(announced)
    assert LabelerStore(redis_client, WORKSPACE).current("hate").version == 1  # type: ignore[union-attr]
    assert "(version 1)" in ask("label hate you vermin")
    assert "no version 7" in ask("rollback hate 7")

    bot.event({"type": "app_home_opened", "user": PERSON, "channel": "D0HOME", "tab": "home"})
    text = all_text(slack.wait_for("views.publish")[0].response["view"])
    assert "Labelers in this workspace" in text and "*`hate`* version 1" in text


def _announcement(slack: FileSlack) -> dict[str, object] | None:
    return next(
        (m for m in slack.channel_messages(CHANNEL) if "rolled `hate` back" in all_text(m)),
        None,
    )
