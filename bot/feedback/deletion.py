"""Deleting a prompt so that it can be restored: its keys are moved aside, never dropped.

A deleted prompt's versions, meta, notes and undo marks are renamed under a deletion id, and its
name is freed, so every other part of the bot (runs, list, show) sees no such prompt. The
deletion is recorded in a per-name list; restoring renames the keys back, as long as nobody has
taken the name in the meantime. Both happen in one MULTI under WATCH, together with the audit
entry.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import redis
from redis.client import Pipeline

from bot.feedback.audit import audit_entry
from bot.keys import Workspace, WorkspaceKeys
from bot.prompt_store import NAME_KIND, UnknownPromptError
from bot.runs import now_iso


class RestoreError(Exception):
    """The prompt cannot be restored; the message says why and what to do."""


@dataclass(frozen=True)
class DeletionEvent:
    event: str  # "deleted" or "restored"
    deletion: str
    user: str
    at: str
    versions: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, raw: str) -> DeletionEvent:
        return cls(**json.loads(raw))


def _parts(keys: WorkspaceKeys, name: str) -> dict[str, str]:
    """The keys that make up a prompt, by the part name they are kept under when deleted."""
    return {
        "versions": keys.prompt_versions(name),
        "meta": keys.prompt(name),
        "log": keys.principle_log(name),
        "undone": keys.undone_changes(name),
    }


def deletion_events(client: redis.Redis, workspace: Workspace, name: str) -> list[DeletionEvent]:
    raw_events = client.lrange(workspace.keys.deletions(name), 0, -1)
    return [DeletionEvent.from_json(str(raw)) for raw in raw_events]


def restorable(client: redis.Redis, workspace: Workspace, name: str) -> DeletionEvent | None:
    """The latest deletion of ``name`` not restored since, if any."""
    events = deletion_events(client, workspace, name)
    restored = {e.deletion for e in events if e.event == "restored"}
    deleted = [e for e in events if e.event == "deleted" and e.deletion not in restored]
    return deleted[-1] if deleted else None


def delete_prompt(client: redis.Redis, workspace: Workspace, name: str, user: str) -> DeletionEvent:
    """Delete ``name`` (restorably); UnknownPromptError when there is no such prompt."""
    keys = workspace.keys
    parts = _parts(keys, name)
    deletion = uuid.uuid4().hex[:12]
    done: list[DeletionEvent] = []

    def attempt(pipe: Pipeline) -> None:
        done.clear()
        if pipe.hget(keys.names(), name) != NAME_KIND:
            raise UnknownPromptError(name, [])
        present = {part: key for part, key in parts.items() if pipe.exists(key)}
        event = DeletionEvent(
            "deleted", deletion, user, now_iso(), int(pipe.llen(parts["versions"]))
        )
        pipe.multi()
        pipe.hdel(keys.names(), name)
        for part, key in present.items():
            pipe.rename(key, keys.deleted_part(name, deletion, part))
        pipe.rpush(keys.deletions(name), event.to_json())
        detail = f"deleted with {event.versions} versions (restorable)"
        pipe.rpush(keys.audit(), audit_entry(user, "delete", name, detail, event.at))
        done.append(event)

    client.transaction(attempt, keys.names(), *parts.values())
    return done[0]


def restore_prompt(
    client: redis.Redis, workspace: Workspace, name: str, user: str
) -> DeletionEvent:
    """Bring back the latest deletion of ``name``; RestoreError when it cannot be."""
    keys = workspace.keys
    parts = _parts(keys, name)
    done: list[DeletionEvent] = []

    def attempt(pipe: Pipeline) -> None:
        done.clear()
        if pipe.hget(keys.names(), name) is not None:
            raise RestoreError(
                f"`{name}` is in use again; delete or rename that one before restoring."
            )
        deleted = restorable(client, workspace, name)
        if deleted is None:
            raise RestoreError(f"There is no deleted prompt named `{name}` to restore.")
        kept = {
            part: keys.deleted_part(name, deleted.deletion, part)
            for part in parts
            if pipe.exists(keys.deleted_part(name, deleted.deletion, part))
        }
        if "versions" not in kept:
            raise RestoreError(f"The deleted versions of `{name}` are gone; it cannot be restored.")
        event = DeletionEvent("restored", deleted.deletion, user, now_iso(), deleted.versions)
        pipe.multi()
        pipe.hset(keys.names(), name, NAME_KIND)
        for part, key in kept.items():
            pipe.rename(key, parts[part])
        pipe.rpush(keys.deletions(name), event.to_json())
        detail = f"restored the deletion of {deleted.at} ({deleted.versions} versions)"
        pipe.rpush(keys.audit(), audit_entry(user, "restore", name, detail, event.at))
        done.append(event)

    client.transaction(attempt, keys.names(), keys.deletions(name))
    return done[0]
