"""A label column of scores in Slack: `threshold=` in the train message and the form turns it
into True/False labels, the split summary says how, the labeler keeps the rule, and a file it
labels later that carries scores is read by the same rule. Without a threshold, the refusal
says how to give one."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pandas as pd
import redis

from bot.keys import Workspace
from bot.labelers import forms
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import RunStore, TrainingRun
from bot.labelers.store import LabelerStore
from tests.bot.labelers.jobs.support import all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID, StoredFile
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import (
    PERSON,
    FileSlack,
    Upload,
    bot_replies,
    command,
    mention,
    wait_for_queued_step,
    wait_for_reply,
)

WORKSPACE = Workspace(TEAM_ID)
RULE = "True where isHate >= 0.5, False otherwise"
SHOWN_RULE = RULE.replace(">", "&gt;")  # as Slack message text carries it


def score_csv(size: int = 40) -> bytes:
    """The labelled comments with each label written as a score, on both sides of 0.5."""
    frame = labelled_frame(size)
    scores = [
        (0.5 if row % 3 == 0 else 0.83) if hateful else (0.0 if row % 2 else 0.49)
        for row, hateful in enumerate(frame["isHate"])
    ]
    return (
        pd.DataFrame({"comment": frame["comment"], "isHate": scores}).to_csv(index=False).encode()
    )


def the_run(client: redis.Redis, labeler: str = "hate") -> TrainingRun:
    runs = RunStore(client, WORKSPACE)
    run_id = wait_until(lambda: runs.running_run_id(labeler), 15, what="a training run")
    run = runs.load(run_id)
    assert run is not None
    return run


def says_vermin(request: Request) -> str:
    example = request.prompt.rsplit("Example:", 1)[-1]
    return "True" if "vermin" in example else "False"


def test_scores_train_with_a_threshold_and_files_labelled_later_use_the_same_rule(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    model: ScriptedModel,
    redis_client: redis.Redis,
) -> None:
    upload = Upload(
        slack, score_csv(), mention("train hate label=isHate inputs=comment steps=1 threshold=0.5")
    )
    upload.send_all(bot, "shared,message,mention")
    run = the_run(redis_client)
    assert RULE in run.split_text
    assert run.settings["score_threshold"] == 0.5
    wait_for_queued_step(runtime)
    # Read again: the progress message's ts is saved only once it is posted, after the run starts.
    run = the_run(redis_client)
    progress = [m for m in bot_replies(slack, upload) if m["ts"] == run.message_ts]
    assert len(progress) == 1 and SHOWN_RULE in all_text(progress[0])
    assert run_burst(runtime)
    current = LabelerStore(redis_client, WORKSPACE).current("hate")
    assert current is not None and current.settings["score_threshold"] == 0.5
    assert current.settings["label_values"] == [False, True]

    # New rows with their scores, separated by semicolons: read by the rule the labeler keeps.
    model.responder = says_vermin
    rows = "comment;isHate\nyou vermin;0.9\nlovely staff;0.2\nvermin everywhere;0.4\n"
    labelling = Upload(slack, rows.encode(), mention("label hate"), name="new.csv")
    labelling.send_all(bot, "message")
    done = slack.wait_for(
        "files.completeUploadExternal",
        timeout=15,
        where=lambda call: call.params.get("thread_ts") == labelling.ts,
    )[0]
    comment = str(done.params.get("initial_comment"))
    assert "The file has the column `isHate`: 2 of 3 answers match it (67%)." in comment
    assert SHOWN_RULE in comment
    url_call = slack.calls_to("files.getUploadURLExternal", ok_only=True)[-1]
    content = slack.files[url_call.response["file_id"]].content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(content))) == [
        ["comment", "isHate", "predicted_isHate"],
        ["you vermin", "True", "True"],
        ["lovely staff", "False", "False"],
        ["vermin everywhere", "False", "True"],
    ]


def test_a_score_column_without_a_threshold_is_refused_with_the_option_named(
    bot: InProcessBot, slack: FileSlack, redis_client: redis.Redis
) -> None:
    upload = Upload(slack, score_csv(), mention("train hate label=isHate inputs=comment"))
    upload.send_all(bot, "message")
    reply = all_text(wait_for_reply(slack, upload)[0])
    assert "look like scores" in reply and "`threshold=0.5`" in reply
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None


def test_a_threshold_that_is_not_a_number_is_refused_before_any_form_opens(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    command(bot, "train hate threshold=half", f"{responses.url}/train")
    answer = message_text(responses.wait_for_reply(1))
    assert "`threshold=half` must be a number, e.g. `threshold=0.5`" in answer
    assert slack.calls_to("views.open") == []


def submit(bot: InProcessBot, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    payload = {
        "type": "view_submission",
        "view": {**view, "state": {"values": values}},
        "user": {"id": PERSON, "team_id": TEAM_ID},
    }
    answer = bot.interaction(payload)
    assert answer.status == 200
    return json.loads(answer.body) if answer.body else {}


def step_two(threshold: str) -> dict[str, Any]:
    return {
        forms.LABEL_BLOCK: {forms.LABEL_ACTION: {"selected_option": {"value": "isHate"}}},
        forms.INPUTS_BLOCK: {forms.INPUTS_ACTION: {"selected_options": [{"value": "comment"}]}},
        forms.THRESHOLD_BLOCK: {forms.THRESHOLD_ACTION: {"value": threshold}},
    }


def test_the_form_carries_a_typed_threshold_checks_it_and_trains_with_it(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    redis_client: redis.Redis,
    responses: ResponseUrlServer,
) -> None:
    file = slack.add_file(StoredFile("F0SCORE001", "scores.csv", score_csv(), user=PERSON))
    command(bot, "train hate threshold=0.7", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]
    submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is the comment hateful?"}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "1"}},
        },
    )
    offered = slack.wait_for("views.update", 1, timeout=15)[-1].response["view"]
    field = next(b for b in offered["blocks"] if b.get("block_id") == forms.THRESHOLD_BLOCK)
    assert field["element"]["initial_value"] == "0.7" and field["optional"] is True

    refused = submit(bot, offered, step_two("about half"))
    assert refused["response_action"] == "errors"
    assert "'about half' is not a number" in refused["errors"][forms.THRESHOLD_BLOCK]

    # Cleared: the scores are refused, and step two comes back naming the threshold.
    submit(bot, offered, step_two(""))
    retry = slack.wait_for("views.update", 2, timeout=15)[-1].response["view"]
    assert retry["callback_id"] == forms.COLUMNS_CALLBACK
    assert "look like scores" in all_text(retry)
    assert "fill in the form's *Score threshold*" in all_text(retry)

    submit(bot, retry, step_two("0,5"))
    started = slack.wait_for("views.update", 3, timeout=15)[-1].response["view"]
    assert "has started" in all_text(started)
    run = the_run(redis_client)
    assert run.settings["score_threshold"] == 0.5 and RULE in run.split_text
    wait_for_queued_step(runtime)
