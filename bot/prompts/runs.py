"""Runs of a prompt in Slack, and which bot message shows which run and answer candidate.

A run is saved under its id, its thread points at it, and every message that carries part of an
answer points at the run and the candidate it shows, so a reaction on any chunk of a long answer
finds its way back. The run and all its pointers are written in one MULTI, so a failed run leaves
no trace and a saved run is never half-indexed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from bot.keys import Workspace

ANSWER_EVENT_TYPE = "alignbot_answer"


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AnswerMessage:
    """One posted Slack message holding (part of) one candidate answer."""

    ts: str
    candidate: int
    part: int


@dataclass(frozen=True)
class RunRecord:
    """Everything about one run that later feedback needs: what ran, on what, and what came back."""

    run_id: str
    prompt_name: str
    version: int
    variables: dict[str, str]
    rendered_input: str
    answers: list[str]
    user: str
    created_at: str
    channel: str
    thread_ts: str
    root_ts: str
    messages: list[AnswerMessage] = field(default_factory=list)
    # The identity of the prompt that ran (``PromptStore.identity``); None for runs saved
    # before prompts had one.
    prompt_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> RunRecord:
        fields = dict(payload)
        fields["messages"] = [AnswerMessage(**m) for m in payload.get("messages", [])]
        return cls(**fields)


@dataclass(frozen=True)
class AnswerPointer:
    run_id: str
    candidate: int


def answer_metadata(run_id: str, candidate: int) -> dict[str, Any]:
    """Slack message metadata that lets anyone reading the channel map a message to its run."""
    return {
        "event_type": ANSWER_EVENT_TYPE,
        "event_payload": {"run_id": run_id, "candidate": candidate},
    }


class RunStore:
    """Runs of one workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def save(self, record: RunRecord) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.run(record.run_id), json.dumps(record.to_dict()))
        # A thread can hold several runs (mentions inside a thread); it points at the latest.
        pipe.set(self.keys.thread(record.channel, record.thread_ts), record.run_id)
        for message in record.messages:
            pointer = {"run_id": record.run_id, "candidate": message.candidate}
            pipe.set(self.keys.answer_message(record.channel, message.ts), json.dumps(pointer))
        pipe.execute()

    def get(self, run_id: str) -> RunRecord | None:
        raw = self.redis.get(self.keys.run(run_id))
        return RunRecord.from_dict(json.loads(str(raw))) if raw is not None else None

    def run_in_thread(self, channel: str, thread_ts: str) -> RunRecord | None:
        run_id = self.redis.get(self.keys.thread(channel, thread_ts))
        return self.get(str(run_id)) if run_id is not None else None

    def answer_at(self, channel: str, ts: str) -> AnswerPointer | None:
        """The run and candidate shown by the bot message at ``ts``, if it shows an answer."""
        raw = self.redis.get(self.keys.answer_message(channel, ts))
        if raw is None:
            return None
        payload = json.loads(str(raw))
        return AnswerPointer(str(payload["run_id"]), int(payload["candidate"]))
