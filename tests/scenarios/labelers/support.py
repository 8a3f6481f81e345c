"""Helpers for training-through-Slack tests: an emulator that also knows where files were shared
and counts downloads, event builders for one upload, and a Redis snapshot for "nothing stored"."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import redis

from bot.keys import is_bookkeeping
from bot.labelers.clock import Clock
from bot.labelers.jobs.runtime import TrainingRuntime
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.slack_emulator import BOT_USER_ID, SlackEmulator, StoredFile
from tests.fakes.slack_signing import HttpAnswer

CHANNEL = "C0UPLOADS"
ALERTS = "C0ALERTS"
PERSON = "U0UPLOADER"
_ts = itertools.count(1)


class FileSlack(SlackEmulator):
    """The emulator, plus what real Slack also does for files: ``files.info`` lists where a file
    was shared (``shares``), and the person's message is kept so ``conversations.replies`` finds
    it. Downloads and the clock time of every ``chat.update`` are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, dict[str, Any]] = {}
        self.downloads: list[str] = []
        self.update_times: list[float] = []
        self.clock: Clock | None = None
        self._record_lock = threading.Lock()

    def _file_json(self, file: StoredFile) -> dict[str, Any]:
        data = super()._file_json(file)
        if file.id in self.shares:
            data["shares"] = self.shares[file.id]
        return data

    def download(self, file_id: str, authorization: str) -> bytes | None:
        content = super().download(file_id, authorization)
        if content is not None:
            with self._record_lock:
                self.downloads.append(file_id)
        return content

    def handle_api(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "chat.update" and self.clock is not None:
            with self._record_lock:
                self.update_times.append(self.clock.now())
        return super().handle_api(method, params, headers)


def new_ts() -> str:
    return f"1700000{next(_ts):03d}.000100"


def mention(text: str) -> str:
    return f"<@{BOT_USER_ID}> {text}"


class Upload:
    """One CSV a person uploads with a message; builds the three events Slack sends for it."""

    def __init__(
        self,
        slack: FileSlack,
        content: bytes,
        text: str,
        name: str = "comments.csv",
        channel: str = CHANNEL,
        user: str = PERSON,
        thread_ts: str | None = None,
        again: Upload | None = None,
    ) -> None:
        """``again``: share that upload's file once more, with a new message."""
        self.slack, self.channel, self.user, self.text = slack, channel, user, text
        self.ts = new_ts()
        self.thread_ts = thread_ts
        if again is None:
            self.file_id = f"F0UP{next(_ts):06d}"
            self.file = slack.add_file(
                StoredFile(self.file_id, name, content, user=user, channels=[channel])
            )
        else:
            self.file_id, self.file = again.file_id, again.file
        share: dict[str, Any] = {"ts": self.ts, "channel_name": "uploads"}
        if thread_ts:
            share["thread_ts"] = thread_ts
        places = slack.shares.setdefault(self.file_id, {"public": {}})["public"]
        places.setdefault(channel, []).append(share)
        # Slack keeps the person's message; conversations.replies serves it from here.
        slack.messages.append(self.message_event())

    def _base(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "channel": self.channel,
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "files": [self.file],
            "event_ts": self.ts,
        }
        if self.thread_ts:
            event["thread_ts"] = self.thread_ts
        return event

    def message_event(self) -> dict[str, Any]:
        return {**self._base(), "type": "message", "subtype": "file_share"}

    def mention_event(self) -> dict[str, Any]:
        return {**self._base(), "type": "app_mention"}

    def file_shared_event(self) -> dict[str, Any]:
        return {
            "type": "file_shared",
            "channel_id": self.channel,
            "file_id": self.file_id,
            "user_id": self.user,
            "file": {"id": self.file_id},
            "event_ts": self.ts,
        }

    def send_all(self, bot: InProcessBot, order: str = "shared,message,mention") -> None:
        builders: dict[str, Callable[[], dict[str, Any]]] = {
            "shared": self.file_shared_event,
            "message": self.message_event,
            "mention": self.mention_event,
        }
        for name in order.split(","):
            assert bot.event(builders[name]()).status == 200


def thread_replies(slack: SlackEmulator, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.channel_messages(channel)
        if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts
    ]


def bot_replies(slack: SlackEmulator, upload: Upload) -> list[dict[str, Any]]:
    return [
        m for m in thread_replies(slack, upload.channel, upload.ts) if m.get("user") == BOT_USER_ID
    ]


def wait_for_reply(slack: SlackEmulator, upload: Upload, count: int = 1) -> list[dict[str, Any]]:
    def replied() -> list[dict[str, Any]] | None:
        found = bot_replies(slack, upload)
        return found if len(found) >= count else None

    return wait_until(replied, 15, what=f"{count} bot replies in the upload's thread")


def wait_for_queued_step(runtime: TrainingRuntime) -> None:
    """Until a training step waits in the queue (the progress message is posted just before)."""
    wait_until(lambda: runtime.queue().count, 15, what="a queued training step")


def data_snapshot(client: redis.Redis) -> dict[str, Any]:
    """Every key with its serialized value, apply-once markers left out: each delivery and
    each upload is claimed before it is looked at, so a repeat is never answered twice; and
    bookkeeping (metric counts, event processes' beats), which changes by itself."""
    return {
        str(key): client.dump(key)
        for key in client.keys("*")
        if ":seen:" not in str(key) and not is_bookkeeping(str(key))
    }


def command(bot: InProcessBot, text: str, response_url: str, channel: str = CHANNEL) -> None:
    body = bot.signer.command_body(text, user_id=PERSON, channel_id=channel)
    body["response_url"] = response_url
    request = bot.signer.signed(urlencode(body), "application/x-www-form-urlencoded")
    answer: HttpAnswer = bot.post(request)
    assert (answer.status, answer.body) == (200, "")
