"""Deleting a prompt so that it can be restored: its keys are moved aside, never dropped.

A deleted prompt's versions, meta, notes and undo marks are renamed under a deletion id, its
labels are removed, and its name is freed, so every other part of the bot (runs, list, show,
the prompt API) sees no such prompt. The deletion is recorded in a per-name list; restoring
renames the keys back, as long as nobody has taken the name in the meantime. Both happen in
one MULTI under WATCH, together with the audit entry.

A name can be deleted, taken again and deleted again, so it can have several deletions, each
kept under its own id; any of them not restored yet can be restored, the latest by default.
People name one by the first characters of its id, as history shows it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import redis
from redis.client import Pipeline

from bot.keys import Workspace, WorkspaceKeys
from bot.prompts.audit import audit_entry
from bot.prompts.runs import now_iso
from bot.prompts.store import NAME_KIND, UnknownPromptError

# How much of a deletion id history shows, and the least of it a restore accepts.
SHORT_ID_LENGTH = 6
MIN_ID_PREFIX = 4


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
        "examples": keys.prompt_examples(name),
        "examples-next": keys.prompt_examples_next(name),
    }


def deletion_events(client: redis.Redis, workspace: Workspace, name: str) -> list[DeletionEvent]:
    raw_events = client.lrange(workspace.keys.deletions(name), 0, -1)
    return [DeletionEvent.from_json(str(raw)) for raw in raw_events]


@dataclass(frozen=True)
class Deletion:
    """One deletion of a name and, once it has been restored, that restore."""

    deleted: DeletionEvent
    restored: DeletionEvent | None = None

    @property
    def short_id(self) -> str:
        return self.deleted.deletion[:SHORT_ID_LENGTH]


def deletions_in(events: list[DeletionEvent]) -> list[Deletion]:
    """Every deletion the events record, oldest first, each with its restore if any."""
    restores = {e.deletion: e for e in events if e.event == "restored"}
    return [Deletion(e, restores.get(e.deletion)) for e in events if e.event == "deleted"]


def deletions(client: redis.Redis, workspace: Workspace, name: str) -> list[Deletion]:
    return deletions_in(deletion_events(client, workspace, name))


def restorable(client: redis.Redis, workspace: Workspace, name: str) -> DeletionEvent | None:
    """The latest deletion of ``name`` not restored since, if any."""
    waiting = [d.deleted for d in deletions(client, workspace, name) if d.restored is None]
    return waiting[-1] if waiting else None


def _listing(name: str, known: list[Deletion], most: int = 10) -> str:
    shown = ", ".join(
        f"`{d.short_id}` ({d.deleted.at} by <@{d.deleted.user}>"
        f"{', restored' if d.restored else ''})"
        for d in known[-most:]
    )
    newest = f"the newest {most} " if len(known) > most else ""
    return f"Deletions of `{name}`, {newest}oldest first: {shown}."


def choose_deletion(name: str, known: list[Deletion], wanted: str | None) -> Deletion:
    """The deletion ``wanted`` names (an id or its first characters), else the latest one not
    restored; RestoreError saying which exist when there is no such deletion to restore."""
    if not known:
        raise RestoreError(f"There is no deleted prompt named `{name}` to restore.")
    if wanted is None:
        waiting = [d for d in known if d.restored is None]
        if not waiting:
            raise RestoreError(
                f"Every deletion of `{name}` has been restored already. {_listing(name, known)}"
            )
        return waiting[-1]
    prefix = wanted.lower()
    matches = [d for d in known if d.deleted.deletion.startswith(prefix)]
    if len(prefix) < MIN_ID_PREFIX or not matches:
        raise RestoreError(
            f"`{name}` has no deletion `{wanted}`. {_listing(name, known)} "
            f"Restore one with `/align restore {name} ID`."
        )
    if len(matches) > 1:
        ids = ", ".join(f"`{d.deleted.deletion}`" for d in matches)
        raise RestoreError(f"`{wanted}` could be more than one deletion of `{name}`: give {ids}.")
    chosen = matches[0]
    if chosen.restored is not None:
        raise RestoreError(
            f"Deletion `{chosen.short_id}` of `{name}` was restored already, by "
            f"<@{chosen.restored.user}> at {chosen.restored.at}. If it was deleted again "
            f"since, that is a later deletion: see `/align history {name}`."
        )
    return chosen


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
        labels = sorted(str(label) for label in pipe.hkeys(keys.prompt_labels(name)))
        pipe.multi()
        pipe.hdel(keys.names(), name)
        for part, key in present.items():
            pipe.rename(key, keys.deleted_part(name, deletion, part))
        # Labels are dropped, not kept for a restore: an application fetching `production`
        # must not get a prompt back because someone restored it; a team promotes it again.
        pipe.delete(keys.prompt_labels(name))
        pipe.rpush(keys.deletions(name), event.to_json())
        detail = f"deleted with {event.versions} versions (restorable)"
        if labels:
            detail += f"; removed its labels {', '.join(labels)}"
        pipe.rpush(keys.audit(), audit_entry(user, "delete", name, detail, event.at))
        done.append(event)

    client.transaction(attempt, keys.names(), keys.prompt_labels(name), *parts.values())
    return done[0]


def _name_taken(name: str, kind: str, chosen: Deletion) -> str:
    """Why a deleted prompt cannot come back while ``name`` is taken, and what to do about it."""
    # A prompt comes back under its own name only: runs, undo buttons and history refer to it.
    if kind == NAME_KIND:
        return (
            f"`{name}` is in use again, by a current prompt. Delete that one first with "
            f"`/align delete {name}` (it can be restored later too), then restore this one "
            f"with `/align restore {name} {chosen.short_id}`."
        )
    return (
        f"`{name}` is in use again, by a {kind}; the deleted prompt can only come back under "
        "its own name, so it cannot be restored while that name is taken."
    )


def restore_prompt(
    client: redis.Redis, workspace: Workspace, name: str, user: str, wanted: str | None = None
) -> DeletionEvent:
    """Bring back the deletion of ``name`` that ``wanted`` names (default: the latest one not
    restored); RestoreError, with nothing changed, when it cannot be."""
    keys = workspace.keys
    parts = _parts(keys, name)
    done: list[DeletionEvent] = []

    def attempt(pipe: Pipeline) -> None:
        done.clear()
        events = [
            DeletionEvent.from_json(str(raw)) for raw in pipe.lrange(keys.deletions(name), 0, -1)
        ]
        chosen = choose_deletion(name, deletions_in(events), wanted)
        deleted = chosen.deleted
        taken_by = pipe.hget(keys.names(), name)
        if taken_by is not None:
            raise RestoreError(_name_taken(name, str(taken_by), chosen))
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
