"""Slack's chat streaming methods for the emulator: ``chat.startStream``, ``appendStream``,
``stopStream``, with the errors Slack documents for them.

A stream is a thread reply whose text grows: each call's ``markdown_text`` (or ``markdown_text``
chunks) is appended. The emulator keeps the message among the others (so ``conversations.replies``
and ``chat.update`` see it) and a :class:`StreamRecord` of every piece with the time it arrived,
so a test can tell what a person saw and when.

Errors served, as Slack does:
- ``invalid_arguments``: a required argument (channel, thread_ts, ts) is missing;
- ``missing_recipient_user_id`` / ``missing_recipient_team_id``: streaming into a channel (not a
  direct message) without naming who the text is for;
- ``invalid_chunks``: a chunk that is not a known type, or markdown text without text;
- ``msg_too_long``: more than 12,000 characters of markdown in one call;
- ``message_not_found``, ``message_not_owned_by_app``, ``message_not_in_streaming_state`` (appending
  to, or stopping, a stream that was stopped, or a message that never streamed);
- ``no_text``: appending nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MARKDOWN_TEXT_LIMIT = 12_000
_CHUNK_TYPES = frozenset({"markdown_text", "task_update", "plan_update"})


class StreamRefusal(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class StreamRecord:
    """One streamed message: each piece of text as it arrived (monotonic seconds)."""

    channel: str
    ts: str
    thread_ts: str
    recipient_user_id: str | None
    pieces: list[tuple[float, str, str]] = field(default_factory=list)  # (at, method, text)
    stopped_at: float | None = None

    @property
    def text(self) -> str:
        return "".join(text for _, _, text in self.pieces)

    @property
    def first_text_at(self) -> float | None:
        return next((at for at, _, text in self.pieces if text), None)


def _markdown_of(params: dict[str, Any], decode: Callable[[Any], Any]) -> str:
    """The markdown a call adds: its ``markdown_text`` and its markdown chunks, in order."""
    text = str(params.get("markdown_text") or "")
    chunks = decode(params.get("chunks"))
    if chunks is None:
        chunks = []
    if not isinstance(chunks, list):
        raise StreamRefusal("invalid_chunks")
    for chunk in chunks:
        if not isinstance(chunk, dict) or chunk.get("type") not in _CHUNK_TYPES:
            raise StreamRefusal("invalid_chunks")
        if chunk["type"] == "markdown_text":
            if not isinstance(chunk.get("text"), str):
                raise StreamRefusal("invalid_chunks")
            text += chunk["text"]
    if len(text) > MARKDOWN_TEXT_LIMIT:
        raise StreamRefusal("msg_too_long")
    return text


class StreamMethods:
    """The three methods over the emulator's message list (shared, under its lock)."""

    def __init__(
        self,
        messages: list[dict[str, Any]],
        lock: threading.Condition,
        new_ts: Callable[[], str],
        bot: dict[str, str],
        decode: Callable[[Any], Any],
    ) -> None:
        self._messages = messages
        self._lock = lock
        self._new_ts = new_ts
        self._bot = bot  # user, bot_id, team of the app's messages
        self._decode = decode
        self.records: dict[str, StreamRecord] = {}

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "chat.startStream": self.start,
            "chat.appendStream": self.append,
            "chat.stopStream": self.stop,
        }

    def start(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, thread_ts = params.get("channel"), params.get("thread_ts")
        if not channel or not thread_ts:
            raise StreamRefusal("invalid_arguments")
        if not str(channel).startswith("D"):
            if not params.get("recipient_user_id"):
                raise StreamRefusal("missing_recipient_user_id")
            if not params.get("recipient_team_id"):
                raise StreamRefusal("missing_recipient_team_id")
        text = _markdown_of(params, self._decode)
        ts = self._new_ts()
        message = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "thread_ts": thread_ts,
            "text": text,
            "blocks": [{"type": "markdown", "text": text}],
            "streaming": True,
            **self._bot,
        }
        record = StreamRecord(str(channel), ts, str(thread_ts), params.get("recipient_user_id"))
        record.pieces.append((time.monotonic(), "chat.startStream", text))
        with self._lock:
            self._messages.append(message)
            self.records[ts] = record
        return {"channel": channel, "ts": ts}

    def _streaming_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        if not channel or not ts:
            raise StreamRefusal("invalid_arguments")
        for message in self._messages:
            if message["channel"] == channel and message["ts"] == ts:
                if message.get("bot_id") != self._bot["bot_id"]:
                    raise StreamRefusal("message_not_owned_by_app")
                if not message.get("streaming"):
                    raise StreamRefusal("message_not_in_streaming_state")
                return message
        raise StreamRefusal("message_not_found")

    def _grow(self, message: dict[str, Any], method: str, text: str) -> None:
        message["text"] = (message.get("text") or "") + text
        message["blocks"] = [{"type": "markdown", "text": message["text"]}]
        self.records[message["ts"]].pieces.append((time.monotonic(), method, text))

    def append(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message = self._streaming_message(params)
            text = _markdown_of(params, self._decode)
            if not text:
                raise StreamRefusal("no_text")
            self._grow(message, "chat.appendStream", text)
        return {"channel": message["channel"], "ts": message["ts"]}

    def stop(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            message = self._streaming_message(params)
            text = _markdown_of(params, self._decode)
            self._grow(message, "chat.stopStream", text)
            blocks = self._decode(params.get("blocks"))
            if blocks:
                message["blocks"] = [*message["blocks"], *blocks]
            metadata = self._decode(params.get("metadata"))
            if metadata:
                message["metadata"] = metadata
            message.pop("streaming")
            self.records[message["ts"]].stopped_at = time.monotonic()
        return {"channel": message["channel"], "ts": message["ts"], "message": dict(message)}
