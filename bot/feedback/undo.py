"""Undo one principle change, and only that one, as a new version.

Other changes may have landed since, so the principle is found by its text rather than by its old
position: an added principle is deleted wherever it now stands, an edited one gets its old wording
back, a deleted one returns at (or near) its old place. If that principle has itself been edited
or removed since, undoing would clobber someone else's work, so nothing is changed and the person
is told what the principle has become.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import redis
from redis.client import Pipeline

from alignment.single_run import ConstitutionalPrompt, PrincipleChange
from bot.keys import Workspace
from bot.prompts.principle_updates import describe_change
from bot.prompts.store import PromptStore, PromptVersion
from bot.prompts.version_log import (
    NextVersion,
    VersionNote,
    VersionRefusedError,
    append_version,
    note_of,
    undone_versions,
)

UndoStatus = Literal["undone", "already_undone", "changed_since", "nothing_to_undo"]


@dataclass(frozen=True)
class UndoOutcome:
    status: UndoStatus
    message: str
    original: PrincipleChange | None = None
    inverse: PrincipleChange | None = None
    version: PromptVersion | None = None


class _ChangedSince(VersionRefusedError):
    pass


class _AlreadyUndone(VersionRefusedError):
    pass


def _position(principles: list[str], text: str | None, hint: int) -> int | None:
    """Where ``text`` is now: at ``hint`` if it is still there, else its first occurrence."""
    if text is None:
        return None
    if hint < len(principles) and principles[hint] == text:
        return hint
    return principles.index(text) if text in principles else None


def inverse_now(original: PrincipleChange, principles: list[str]) -> PrincipleChange:
    """The change that reverts ``original`` on today's ``principles``; _ChangedSince if none."""
    if original.kind == "delete":
        old = original.old_text
        if old in principles:
            raise _ChangedSince(f"the deleted principle is back already: {old}")
        return PrincipleChange("add", min(original.index, len(principles)), None, old, "undo")
    where = _position(principles, original.new_text, original.index)
    if where is None:
        raise _ChangedSince(
            f"the principle it {'added' if original.kind == 'add' else 'wrote'} "
            f"({original.new_text}) has been edited or deleted since"
        )
    if original.kind == "add":
        return PrincipleChange("delete", where, original.new_text, None, "undo")
    return PrincipleChange("edit", where, original.new_text, original.old_text, "undo")


def undo_change(
    client: redis.Redis, workspace: Workspace, name: str, version: int, user: str
) -> UndoOutcome:
    """Revert the principle change that produced ``version`` of ``name``."""
    if not PromptStore(client, workspace).exists(name):
        return UndoOutcome("nothing_to_undo", f"`{name}` no longer exists; nothing was undone.")
    note = note_of(client, workspace, name, version)
    original = note.principle_change if note is not None else None
    if original is None:
        return UndoOutcome("nothing_to_undo", f"Version {version} changed no principle.")
    undone_key = workspace.keys.undone_changes(name)

    def build(latest: PromptVersion) -> NextVersion:
        if version in undone_versions(client, workspace, name):
            raise _AlreadyUndone(f"The change of version {version} was undone already.")
        inverse = inverse_now(original, list(latest.prompt.principles))
        prompt = latest.prompt
        updated = ConstitutionalPrompt(
            preamble=prompt.preamble,
            original_preamble=prompt.original_preamble,
            principles=inverse.apply(prompt.principles),
        )

        def mark_undone(pipe: Pipeline, _number: int) -> None:
            pipe.sadd(undone_key, str(version))

        summary = f"undid version {version}: {describe_change(inverse)}"
        note = VersionNote(
            version=0,
            action="undo",
            user=user,
            at="",
            summary=summary,
            change=inverse.to_dict(),
            undoes=version,
        )
        return NextVersion(updated, note, also=mark_undone)

    try:
        record, written = append_version(client, workspace, name, user, build)
    except _AlreadyUndone as error:
        return UndoOutcome("already_undone", str(error), original)
    except _ChangedSince as error:
        return UndoOutcome(
            "changed_since",
            f"Nothing was undone: {error}. Undo only reverts its own change.",
            original,
        )
    inverse = written.principle_change
    return UndoOutcome("undone", written.summary, original, inverse, record)
