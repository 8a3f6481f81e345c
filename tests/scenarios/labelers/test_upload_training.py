"""A CSV uploaded with `@alignbot train ...`: handled once across Slack's three events, read from
`url_private`, trained by a worker, watched through progress edits, reported with a plot, and
announced in the notification channel; and stopped with `/align cancel`."""

from __future__ import annotations

import itertools
import threading

import redis

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.labelers.run_state import CANCELLED, FINISHED, RunStore, TrainingRun
from bot.labelers.store import LabelerStore
from tests.bot.labelers.jobs.support import World, all_text, labelled_frame
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import Request
from tests.fakes.slack_emulator import BOT_USER_ID, TEAM_ID
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import (
    ALERTS,
    CHANNEL,
    FileSlack,
    Upload,
    bot_replies,
    command,
    mention,
    wait_for_queued_step,
    wait_for_reply,
)

WORKSPACE = Workspace(TEAM_ID)
CSV = labelled_frame(40).to_csv(index=False).encode()
TRAIN_TEXT = mention(
    'train hate label=isHate inputs=comment task="Is the comment hateful?" steps=2 '
    f"notify=<#{ALERTS}|alerts>"
)


def the_run(client: redis.Redis, labeler: str = "hate") -> TrainingRun:
    runs = RunStore(client, WORKSPACE)
    run_id = wait_until(lambda: runs.running_run_id(labeler), 15, what="a training run")
    run = runs.load(run_id)
    assert run is not None
    return run


def test_one_upload_sent_as_three_events_trains_once_and_reports(
    bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime, redis_client: redis.Redis
) -> None:
    upload = Upload(slack, CSV, TRAIN_TEXT)
    upload.send_all(bot, "shared,message,mention")
    run = the_run(redis_client)
    wait_for_queued_step(runtime)
    progress_ts = the_run(redis_client).message_ts

    assert run_burst(runtime)

    # One download, one run, one progress message, all in the upload's thread.
    assert slack.downloads == [upload.file_id]
    finished = RunStore(redis_client, WORKSPACE).load(run.run_id)
    assert finished is not None and finished.status == FINISHED
    assert finished.steps_done == 2 and finished.thread_ts == upload.ts
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None
    replies = bot_replies(slack, upload)
    progress = [m for m in replies if m["ts"] == progress_ts]
    assert len(progress) == 1 and "32 to train, 8 to test" in all_text(progress[0])
    assert len([m for m in replies if "Training `hate`" in all_text(m)]) == 1

    # The progress message was edited in place, never twice within 3 s of training time.
    updates = slack.calls_to("chat.update", ok_only=True)
    edits = [call for call in updates if call.params["ts"] == progress_ts]
    assert len(edits) >= 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(slack.update_times)]
    assert gaps and min(gaps) >= 3.0
    assert "finished: 2 of 2 steps" in all_text(edits[-1].params)

    # The report, then its plot uploaded into the same thread through the external upload.
    report = [m for m in replies if "Report for `hate`" in all_text(m)]
    assert len(report) == 1 and "Confusion matrix" in all_text(report[0])
    url_calls = slack.calls_to("files.getUploadURLExternal", ok_only=True)
    assert [c.params["filename"] for c in url_calls] == ["hate-accuracy.png"]
    completed = slack.calls_to("files.completeUploadExternal", ok_only=True)
    assert len(completed) == 1
    assert completed[0].params.get("channel_id") == CHANNEL
    assert completed[0].params.get("thread_ts") == upload.ts
    plot_id = url_calls[0].response["file_id"]
    assert slack.files[plot_id].content.startswith(b"\x89PNG")

    # The notification went to the channel named in the upload, not the thread.
    notices = slack.channel_messages(ALERTS)
    assert any("finished training" in all_text(m) for m in notices)
    assert LabelerStore(redis_client, WORKSPACE).notification_settings("hate").channel == ALERTS


def test_file_shared_alone_finds_the_message_it_came_with_and_starts_the_training(
    bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime, redis_client: redis.Redis
) -> None:
    upload = Upload(slack, CSV, TRAIN_TEXT.replace("steps=2", "steps=1"))
    upload.send_all(bot, "shared")
    run = the_run(redis_client)
    wait_for_queued_step(runtime)

    assert run.thread_ts == upload.ts and run.user == upload.user
    assert slack.calls_to("conversations.replies", ok_only=True)
    assert slack.downloads == [upload.file_id]


def test_file_shared_arriving_last_starts_nothing_more(
    bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime, redis_client: redis.Redis
) -> None:
    upload = Upload(slack, CSV, TRAIN_TEXT.replace("steps=2", "steps=1"))
    upload.send_all(bot, "mention,message,shared")
    run = the_run(redis_client)
    wait_for_queued_step(runtime)
    assert run_burst(runtime)

    # A second file_shared delivery of the same file (a new event id) changes nothing either.
    assert bot.event(upload.file_shared_event()).status == 200
    assert not run_burst(runtime)
    assert slack.downloads == [upload.file_id]
    assert len(RunStore(redis_client, WORKSPACE).load(run.run_id).history) == 1  # type: ignore[union-attr]
    assert LabelerStore(redis_client, WORKSPACE).version_count(redis_client, "hate") == 1


def test_files_the_bot_uploads_itself_are_ignored(
    bot: InProcessBot, slack: FileSlack, runtime: TrainingRuntime, redis_client: redis.Redis
) -> None:
    own = Upload(slack, CSV, TRAIN_TEXT, user=BOT_USER_ID)
    own.send_all(bot, "shared,message,mention")
    # A person's upload afterwards is answered, so the bot's own would have been by now.
    person = Upload(slack, b"just one column\n", TRAIN_TEXT)
    person.send_all(bot, "message")
    wait_for_reply(slack, person)

    assert bot_replies(slack, own) == []
    assert own.file_id not in slack.downloads
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None


def test_cancel_from_slack_stops_the_training_and_frees_the_labeler(
    bot: InProcessBot,
    slack: FileSlack,
    runtime: TrainingRuntime,
    world: World,
    redis_client: redis.Redis,
    responses: ResponseUrlServer,
) -> None:
    upload = Upload(slack, CSV, TRAIN_TEXT.replace("steps=2", "steps=3"))
    upload.send_all(bot, "message")
    run = the_run(redis_client)
    wait_for_queued_step(runtime)
    calls = 0
    lock = threading.Lock()

    def cancel_during_step_2(request: Request) -> None:
        nonlocal calls
        with lock:
            calls += 1
            due = RunStore(redis_client, WORKSPACE).load(run.run_id).steps_done == 1  # type: ignore[union-attr]
            send = due and not getattr(cancel_during_step_2, "sent", False)
            if send:
                cancel_during_step_2.sent = True  # type: ignore[attr-defined]
        if send:
            command(bot, "cancel hate", f"{responses.url}/cancel")
            reply = responses.wait_for_reply(1)
            assert "asked to stop training" in message_text(reply)

    world.before_answer = cancel_during_step_2
    run_burst(runtime)

    ended = RunStore(redis_client, WORKSPACE).load(run.run_id)
    assert ended is not None and ended.status == CANCELLED and ended.steps_done == 1
    said = "\n".join(all_text(m) for m in bot_replies(slack, upload))
    assert "Version 1 (after step 1) is kept" in said

    command(bot, "cancel hate", f"{responses.url}/again")
    assert "not training" in message_text(responses.wait_for_reply(2))
    assert RunStore(redis_client, WORKSPACE).running_run_id("hate") is None


def test_a_file_shared_again_with_a_new_message_is_a_new_request(
    bot: InProcessBot, slack: FileSlack, redis_client: redis.Redis
) -> None:
    first = Upload(slack, b"comment\nhello\n", TRAIN_TEXT)
    first.send_all(bot, "shared,message")
    assert "does not look like a CSV" in all_text(wait_for_reply(slack, first)[0])

    again = Upload(slack, b"", TRAIN_TEXT.replace("hate", "hate2"), again=first)
    again.send_all(bot, "shared,mention,message")
    assert "`hate2`" in all_text(wait_for_reply(slack, again)[0])
    bot.finish_work()
    assert len(bot_replies(slack, first)) == len(bot_replies(slack, again)) == 1


def test_a_shared_file_that_is_not_a_table_costs_one_look_up(
    bot: InProcessBot, slack: FileSlack
) -> None:
    picture = Upload(slack, b"\x89PNG...", "look at this", name="cat.png")
    slack.files[picture.file_id].filetype = "png"
    slack.files[picture.file_id].mimetype = "image/png"
    picture.send_all(bot, "shared,message")
    slack.wait_for("files.info")
    bot.finish_work()

    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["files.info"]
    assert slack.downloads == []
