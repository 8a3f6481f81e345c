"""`/align train NAME`: a form for the file, task, steps and channel; on submit "reading…" at
once, then the file's columns to choose from; a bad choice comes back with the reason; a good
one starts the training in the channel the command came from."""

from __future__ import annotations

import json
from typing import Any

import redis

from bot.keys import Workspace, is_bookkeeping
from bot.labelers import forms
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import FINISHED, RunStore
from bot.labelers.store import LabelerStore
from tests.bot.labelers.jobs.support import all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.slack_emulator import TEAM_ID, StoredFile
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import (
    ALERTS,
    CHANNEL,
    PERSON,
    FileSlack,
    command,
    wait_for_queued_step,
)

WORKSPACE = Workspace(TEAM_ID)
CSV = labelled_frame(40).to_csv(index=False).encode()


def submit(bot: InProcessBot, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Submit ``view`` with ``values`` (block id -> action id -> state); returns the ack body."""
    payload = {
        "type": "view_submission",
        "view": {**view, "state": {"values": values}},
        "user": {"id": PERSON, "team_id": TEAM_ID},
    }
    answer = bot.interaction(payload)
    assert answer.status == 200
    return json.loads(answer.body) if answer.body else {}


def views_updated(slack: FileSlack, count: int) -> list[dict[str, Any]]:
    calls = slack.wait_for("views.update", count, timeout=15)
    return [call.response["view"] for call in calls]


def columns(label: str, inputs: list[str]) -> dict[str, Any]:
    return {
        forms.LABEL_BLOCK: {
            forms.LABEL_ACTION: {"type": "static_select", "selected_option": {"value": label}}
        },
        forms.INPUTS_BLOCK: {
            forms.INPUTS_ACTION: {
                "type": "multi_static_select",
                "selected_options": [{"value": name} for name in inputs],
            }
        },
    }


def test_the_form_reads_the_header_offers_columns_and_starts_the_training(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    redis_client: redis.Redis,
    responses: ResponseUrlServer,
) -> None:
    file = slack.add_file(StoredFile("F0FORM0001", "comments.csv", CSV, user=PERSON))
    command(bot, "train hate", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]
    assert opened["callback_id"] == forms.UPLOAD_CALLBACK

    ack = submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"type": "file_input", "files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is the comment hateful?"}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"type": "number_input", "value": "2"}},
            forms.NOTIFY_BLOCK: {forms.NOTIFY_ACTION: {"selected_conversation": ALERTS}},
        },
    )
    assert ack["response_action"] == "update"
    assert "Reading the file" in all_text(ack["view"])

    offered = views_updated(slack, 1)[-1]
    assert offered["callback_id"] == forms.COLUMNS_CALLBACK
    options = [
        [option["value"] for option in block["element"]["options"]]
        for block in offered["blocks"]
        if block["type"] == "input" and "options" in block["element"]
    ]
    assert options == [["comment", "isHate"], ["comment", "isHate"]]
    assert slack.downloads == ["F0FORM0001"]

    # Text as the label: 40 different values, refused with the loader's reason, form kept.
    ack = submit(bot, offered, columns("comment", ["isHate"]))
    assert "Checking the data" in all_text(ack["view"])
    retry = views_updated(slack, 2)[-1]
    assert retry["callback_id"] == forms.COLUMNS_CALLBACK
    assert "'comment' has 40 different values" in all_text(retry)
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None

    submit(bot, retry, columns("isHate", ["comment"]))
    started = views_updated(slack, 3)[-1]
    assert "has started" in all_text(started) and f"<#{CHANNEL}>" in all_text(started)

    runs = RunStore(redis_client, WORKSPACE)
    run = runs.load(wait_until(lambda: runs.running_run_id("hate"), 10, what="the run"))
    assert run is not None
    assert run.channel == CHANNEL and run.steps_total == 2 and run.user == PERSON
    assert run.settings["task_description"] == "Is the comment hateful?"
    wait_for_queued_step(runtime)
    assert run_burst(runtime)
    finished = runs.load(run.run_id)
    assert finished is not None and finished.status == FINISHED
    # The progress message starts a thread of its own in the command's channel.
    assert finished.thread_ts == finished.message_ts
    assert any("finished training" in all_text(m) for m in slack.channel_messages(ALERTS))


def test_a_file_that_is_not_a_csv_closes_the_form_with_the_reason(
    bot: InProcessBot, slack: FileSlack, redis_client: redis.Redis, responses: ResponseUrlServer
) -> None:
    file = slack.add_file(StoredFile("F0FORM0002", "notes.csv", b"Meeting notes\n", user=PERSON))
    command(bot, "train hate", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]

    submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is it hateful?"}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "1"}},
        },
    )
    shown = views_updated(slack, 1)[-1]
    assert "does not look like a CSV" in all_text(shown)
    assert "submit" not in shown
    stored = [str(k) for k in redis_client.keys("*")]
    assert [k for k in stored if ":seen:" not in k and not is_bookkeeping(k)] == []


def test_a_form_slack_refuses_to_update_is_explained_to_the_person_directly(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    file = slack.add_file(StoredFile("F0FORM0009", "notes.csv", b"Meeting notes\n", user=PERSON))
    command(bot, "train hate", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]
    slack.fail_next("views.update", "invalid_arguments")

    submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is it hateful?"}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "1"}},
        },
    )
    told = wait_until(
        lambda: [
            call
            for call in slack.calls_to("chat.postMessage")
            if call.params.get("channel") == PERSON
        ],
        15,
        what="a direct message about the refused form",
    )
    assert "invalid_arguments" in told[0].params["text"]
    assert "/align train" in told[0].params["text"]


def test_missing_answers_keep_the_form_open_with_errors(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    command(bot, "train hate", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]

    ack = submit(bot, opened, {forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "99"}}})

    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {forms.FILE_BLOCK, forms.TASK_BLOCK, forms.STEPS_BLOCK}
    bot.finish_work()  # the lazy half has run, and must have left the form alone
    assert slack.calls_to("views.update") == []


def test_the_column_choices_are_checked_before_the_form_closes() -> None:
    view = {"state": {"values": columns("isHate", ["comment", "isHate"])}}
    assert forms.columns_form_errors(forms.read_columns_form(view)) == {
        forms.INPUTS_BLOCK: "The label column cannot be an input: the labeler would see it."
    }
    empty = forms.read_columns_form({"state": {"values": {}}})
    assert set(forms.columns_form_errors(empty)) == {forms.LABEL_BLOCK, forms.INPUTS_BLOCK}
    assert (
        forms.columns_form_errors(
            forms.read_columns_form({"state": {"values": columns("isHate", ["comment"])}})
        )
        == {}
    )


def test_settings_typed_after_the_name_fill_the_form_in(
    bot: InProcessBot,
    slack: FileSlack,
    redis_client: redis.Redis,
    responses: ResponseUrlServer,
) -> None:
    file = slack.add_file(StoredFile("F0FORM0003", "comments.csv", CSV, user=PERSON))
    typed = (
        'train hate task="Is the comment hateful?" steps=2 notify=#ml-alerts label=isHate '
        "inputs=comment,nowhere target=0.8"
    )
    command(bot, typed, f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]
    elements = {block["block_id"]: block for block in opened["blocks"] if "block_id" in block}
    assert elements[forms.TASK_BLOCK]["element"]["initial_value"] == "Is the comment hateful?"
    assert elements[forms.STEPS_BLOCK]["element"]["initial_value"] == "2"
    # A channel name typed in a slash command cannot be selected, so it is named as the default.
    assert "#ml-alerts" in elements[forms.NOTIFY_BLOCK]["hint"]["text"]
    assert "initial_conversation" not in elements[forms.NOTIFY_BLOCK]["element"]

    submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is the comment hateful?"}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "2"}},
        },
    )
    offered = views_updated(slack, 1)[-1]
    selects = {
        block["block_id"]: block["element"] for block in offered["blocks"] if "element" in block
    }
    assert selects[forms.LABEL_BLOCK]["initial_option"]["value"] == "isHate"
    # Only the typed columns that exist in the file's header are chosen.
    assert [o["value"] for o in selects[forms.INPUTS_BLOCK]["initial_options"]] == ["comment"]

    submit(bot, offered, columns("isHate", ["comment"]))
    assert "has started" in all_text(views_updated(slack, 2)[-1])
    settings = LabelerStore(redis_client, WORKSPACE).notification_settings("hate")
    assert (settings.channel, settings.target) == ("#ml-alerts", 0.8)
    run = RunStore(redis_client, WORKSPACE).running_run_id("hate")
    loaded = RunStore(redis_client, WORKSPACE).load(run) if run else None
    assert loaded is not None and loaded.steps_total == 2


def test_a_channel_reference_typed_with_the_command_is_selected_in_the_form() -> None:
    form = forms.upload_form("hate", "{}", forms.FormPrefill(channel=ALERTS, steps=5))
    notify = next(block for block in form["blocks"] if block.get("block_id") == forms.NOTIFY_BLOCK)
    assert notify["element"]["initial_conversation"] == ALERTS and "hint" not in notify


def test_an_unknown_setting_is_refused_with_the_usage_and_no_form_opens(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    command(bot, "train hate colour=red steps=2", f"{responses.url}/train")
    answer = message_text(responses.wait_for_reply(1))
    assert "`colour` is not a setting of `train`" in answer
    assert "Usage: `/align train NAME [task=" in answer
    assert slack.calls_to("views.open") == []


def test_a_typed_task_longer_than_the_form_holds_is_refused(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    task = "word " * (forms.TASK_MAX_CHARS // 5 + 1)
    command(bot, f'train hate task="{task.strip()}"', f"{responses.url}/train")
    answer = message_text(responses.wait_for_reply(1))
    assert f"the form holds at most {forms.TASK_MAX_CHARS:,}" in answer
    assert slack.calls_to("views.open") == []


def test_a_task_that_would_overflow_the_form_keeps_the_form_open_with_a_reason(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    file = slack.add_file(StoredFile("F0FORM0003", "data.csv", b"comment,isHate\nhi,no\n"))
    command(bot, "train hate", f"{responses.url}/train")
    opened = slack.wait_for("views.open")[0].response["view"]
    # As many characters as the field takes, but quotes and line breaks are escaped (doubled)
    # in the JSON the form carries to its next step.
    task = ('""\n' * forms.TASK_MAX_CHARS)[: forms.TASK_MAX_CHARS]

    ack = submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": task}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "1"}},
        },
    )

    assert ack["response_action"] == "errors"
    assert "Shorten the task" in ack["errors"][forms.TASK_BLOCK]

    # A task that fits is carried through whole.
    submit(
        bot,
        opened,
        {
            forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [file]}},
            forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": task[:1200]}},
            forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "1"}},
        },
    )
    offered = views_updated(slack, 1)[-1]
    assert offered["callback_id"] == forms.COLUMNS_CALLBACK
    assert forms.read_metadata(offered)["task"] == task[:1200].strip()
    bot.finish_work()
    # The refused submission was never carried on: the only update is the one that fitted.
    assert len(slack.calls_to("views.update")) == 1


def test_typed_columns_too_long_for_the_form_are_refused_before_it_opens(
    bot: InProcessBot, slack: FileSlack, responses: ResponseUrlServer
) -> None:
    inputs = ",".join(f"column_with_a_long_descriptive_name_{n:03d}" for n in range(80))
    command(bot, f"train hate label=isHate inputs={inputs}", f"{responses.url}/train")
    answer = message_text(responses.wait_for_reply(1))
    assert "too long to carry through the form" in answer
    assert "choose the columns in the form" in answer
    assert slack.calls_to("views.open") == []
