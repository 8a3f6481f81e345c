"""Every file of the bad-CSV corpus, uploaded with `@alignbot train ...`, is answered once in its
thread with what is wrong and how to fix it, and nothing is stored or queued.

One bot takes the whole corpus (starting one per file would cost more than the checks)."""

from __future__ import annotations

import pytest
import redis

from bot.commands.text import unescape
from bot.keys import Workspace
from bot.labelers import intake as training_intake
from bot.prompts.store import PromptStore
from tests.alignment.test_data_bad_csvs import BAD, CASES
from tests.bot.labelers.jobs.support import all_text
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slack_emulator import TEAM_ID
from tests.scenarios.labelers.support import (
    FileSlack,
    Upload,
    bot_replies,
    data_snapshot,
    mention,
    wait_for_reply,
)

WORKSPACE = Workspace(TEAM_ID)
# A case whose limits differ from the defaults is met by the Slack upload cap instead.
UPLOAD_CAP_FOR = {"over_size_limit.csv": 2048}


def train_text(name: str) -> str:
    case = CASES[name]
    return mention(
        f"train hate label={case.label} inputs={','.join(case.inputs)} "
        'task="Is the comment hateful?" steps=1'
    )


def test_every_bad_file_is_answered_once_in_its_thread_and_nothing_is_stored(
    bot: InProcessBot,
    slack: FileSlack,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Some data of the workspace already exists, and must stay exactly as it was.
    PromptStore(redis_client, WORKSPACE).create("greeting", "Say hello to {who}.", "U0OTHER")
    before = data_snapshot(redis_client)
    uploads: dict[str, Upload] = {}
    for name in sorted(CASES):
        with monkeypatch.context() as patch:
            if name in UPLOAD_CAP_FOR:
                patch.setattr(training_intake, "UPLOAD_MAX_BYTES", UPLOAD_CAP_FOR[name])
            upload = Upload(slack, (BAD / name).read_bytes(), train_text(name), name=name)
            upload.send_all(bot, "shared,message,mention")
            wait_for_reply(slack, upload)
        uploads[name] = upload
    bot.finish_work()  # every delivery's work is done before answers are counted

    problems = []
    for name, upload in uploads.items():
        replies = bot_replies(slack, upload)
        said = unescape("\n".join(all_text(reply) for reply in replies))
        missing = [fragment for fragment in CASES[name].says if fragment not in said]
        if len(replies) != 1 or missing or f"<@{upload.user}>" not in said:
            problems.append(f"{name}: {len(replies)} replies, missing {missing}: {said!r}")
        elif "Nothing was stored" not in said:
            problems.append(f"{name}: the reply does not say nothing was stored")
    assert problems == []
    assert len(uploads) == len(list(BAD.glob("*.csv")))
    assert data_snapshot(redis_client) == before
