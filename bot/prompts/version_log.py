"""Appending a prompt version by compare-and-set, with a note of what it changed and why.

Every change to a prompt (its template or its principles) is a new version at the end of the
prompt's append-only list; nothing is overwritten. A writer reads the current version inside a
WATCH on the version list and the prompt's meta hash, builds the next version from it, and commits
version, meta, note and audit entry in one MULTI. If anything else committed in between, the
transaction is retried from a fresh read; a builder that depends on work done before the WATCH
(a model call) raises ``StaleVersionError`` instead, so its caller can redo that work.

Versions written elsewhere (``/align new``, ``/align edit``) carry no note; history describes them
from the versions themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import redis
from redis.client import Pipeline

from alignment.single_run import ConstitutionalPrompt, PrincipleChange
from bot.keys import Workspace
from bot.prompts.audit import audit_entry
from bot.prompts.model_settings import ModelSettings
from bot.prompts.runs import now_iso
from bot.prompts.store import PromptVersion, UnknownPromptError


class StaleVersionError(Exception):
    """The prompt moved on since the caller computed its change; compute it again."""


class VersionRefusedError(Exception):
    """The builder refused to write a version; the message tells the person why."""


@dataclass(frozen=True)
class VersionNote:
    """What one version changed, who asked for it, and where it came from."""

    version: int
    action: str  # feedback, undo, apply, revise, rollback
    user: str
    at: str
    summary: str
    change: dict[str, Any] | None = None
    feedback_kind: str | None = None
    feedback: str | None = None
    run_id: str | None = None
    candidate: int | None = None
    run_version: int | None = None
    undoes: int | None = None
    source_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def principle_change(self) -> PrincipleChange | None:
        return PrincipleChange.from_dict(self.change) if self.change else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> VersionNote:
        payload = json.loads(raw)
        return cls(**{key: payload[key] for key in cls.__dataclass_fields__ if key in payload})


@dataclass(frozen=True)
class NextVersion:
    """What a builder wants written: the new prompt, its note (version filled in on commit)."""

    prompt: ConstitutionalPrompt
    note: VersionNote
    # Extra writes that must land in the same MULTI (e.g. marking a change undone).
    also: Callable[[Pipeline, int], None] | None = None
    # The new version's model settings; None keeps those of the version it was made from.
    settings: ModelSettings | None = None


Builder = Callable[[PromptVersion], NextVersion]


def read_current(client: redis.Redis | Pipeline, workspace: Workspace, name: str) -> PromptVersion:
    """The version runs use now, read through ``client`` (a watching pipeline or a client)."""
    keys = workspace.keys
    number = client.hget(keys.prompt(name), "current_version")
    raw = client.lindex(keys.prompt_versions(name), int(number) - 1 if number else -1)
    if raw is None:
        raise UnknownPromptError(name, [])
    return PromptVersion.from_dict(json.loads(str(raw)))


def append_version(
    client: redis.Redis,
    workspace: Workspace,
    name: str,
    author: str,
    build: Builder,
    make_current: bool = True,
) -> tuple[PromptVersion, VersionNote]:
    """Commit the version ``build`` makes from the current one; returns it and its note.

    Without ``make_current`` the version is kept but runs go on using the current one, until
    ``make_version_current`` moves to it (a version waiting for a comparison).
    """
    keys = workspace.keys
    versions_key, meta_key = keys.prompt_versions(name), keys.prompt(name)
    written: list[tuple[PromptVersion, VersionNote]] = []

    def attempt(pipe: Pipeline) -> None:
        written.clear()
        count = int(pipe.llen(versions_key))
        if count == 0:
            raise UnknownPromptError(name, [])
        current = read_current(pipe, workspace, name)
        nxt = build(current)
        number = count + 1
        settings = current.settings if nxt.settings is None else nxt.settings
        record = PromptVersion(name, number, nxt.prompt, author, now_iso(), settings)
        note = replace(nxt.note, version=number, at=record.created_at)
        pipe.multi()
        pipe.rpush(versions_key, json.dumps(record.to_dict()))
        if make_current:
            pipe.hset(
                meta_key,
                mapping={
                    "current_version": str(number),
                    "updated_by": author,
                    "updated_at": record.created_at,
                },
            )
        pipe.rpush(keys.principle_log(name), note.to_json())
        pipe.rpush(
            keys.audit(),
            audit_entry(author, note.action, name, f"version {number}: {note.summary}"),
        )
        if nxt.also is not None:
            nxt.also(pipe, number)
        written.append((record, note))

    client.transaction(attempt, versions_key, meta_key)
    return written[0]


def make_version_current(
    client: redis.Redis,
    workspace: Workspace,
    name: str,
    version: int,
    expected_current: int,
    user: str,
    why: str,
) -> None:
    """Point runs at ``version``, only while ``expected_current`` is still the current one.

    Raises StaleVersionError when the prompt moved on (someone changed it since the version
    was made and compared: making it current would drop that change).
    """
    keys = workspace.keys
    versions_key, meta_key = keys.prompt_versions(name), keys.prompt(name)

    def attempt(pipe: Pipeline) -> None:
        count = int(pipe.llen(versions_key))
        if count == 0:
            raise UnknownPromptError(name, [])
        current = pipe.hget(meta_key, "current_version")
        if int(current or count) != expected_current or not 1 <= version <= count:
            raise StaleVersionError
        at = now_iso()
        pipe.multi()
        pipe.hset(
            meta_key,
            mapping={"current_version": str(version), "updated_by": user, "updated_at": at},
        )
        pipe.rpush(
            keys.audit(), audit_entry(user, "make-current", name, f"version {version}: {why}")
        )

    client.transaction(attempt, versions_key, meta_key)


def notes(client: redis.Redis, workspace: Workspace, name: str) -> dict[int, VersionNote]:
    """The notes of a prompt's versions, by version number."""
    raw_notes = client.lrange(workspace.keys.principle_log(name), 0, -1)
    found = (VersionNote.from_json(str(raw)) for raw in raw_notes)
    return {note.version: note for note in found}


def note_of(
    client: redis.Redis, workspace: Workspace, name: str, version: int
) -> VersionNote | None:
    return notes(client, workspace, name).get(version)


def latest_note(client: redis.Redis, workspace: Workspace, name: str) -> VersionNote | None:
    """The note written last (cheap: one read, whatever the length of the history)."""
    raw = client.lindex(workspace.keys.principle_log(name), -1)
    return VersionNote.from_json(str(raw)) if raw is not None else None


def undone_versions(client: redis.Redis, workspace: Workspace, name: str) -> set[int]:
    return {int(v) for v in client.smembers(workspace.keys.undone_changes(name))}
