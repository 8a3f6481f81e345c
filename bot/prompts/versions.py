"""Moving a prompt between versions: apply principles, revise from feedback, roll back, history.

Each operation appends a version; none rewrites one. Apply and revise need the alignment model,
which is slow, so they read the current version, rewrite it outside any transaction, and commit
only if the prompt is still at the version they read; otherwise they rewrite again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from alignment.single_run import ConstitutionalPrompt
from bot.keys import Workspace
from bot.prompts.model_settings import apply_settings
from bot.prompts.principle_updates import MAX_ATTEMPTS, TooBusyError
from bot.prompts.store import PromptStore, PromptVersion
from bot.prompts.version_log import (
    NextVersion,
    StaleVersionError,
    VersionNote,
    VersionRefusedError,
    append_version,
    notes,
    read_current,
    undone_versions,
)

Rewrite = Callable[[ConstitutionalPrompt], ConstitutionalPrompt]


@dataclass(frozen=True)
class VersionChange:
    """A version written by apply, revise or rollback, and the one it replaced."""

    before: PromptVersion
    after: PromptVersion
    note: VersionNote


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    user: str
    at: str
    what: str
    undone: bool = False
    current: bool = False


def _blank_note(
    action: str, user: str, summary: str, source_version: int | None = None
) -> VersionNote:
    # The version number and time are filled in when the version is committed.
    return VersionNote(
        version=0, action=action, user=user, at="", summary=summary, source_version=source_version
    )


def _on_top_of(
    seen_version: int, prompt: ConstitutionalPrompt, note: VersionNote
) -> Callable[[PromptVersion], NextVersion]:
    """Writes ``prompt`` as the next version, only on top of the version it was made from."""

    def build(latest: PromptVersion) -> NextVersion:
        if latest.version != seen_version:
            raise StaleVersionError
        return NextVersion(prompt, note)

    return build


def rewrite_prompt(
    client: redis.Redis,
    workspace: Workspace,
    name: str,
    user: str,
    action: str,
    summary: str,
    rewrite: Rewrite,
    make_current: bool = True,
) -> VersionChange:
    """Commit ``rewrite`` of the current version; redone if the prompt moved on meanwhile.

    Without ``make_current`` the new version waits, not current, for ``make_version_current``.
    """
    for _ in range(MAX_ATTEMPTS):
        seen = read_current(client, workspace, name)
        rewritten = rewrite(copy.deepcopy(seen.prompt))

        build = _on_top_of(seen.version, rewritten, _blank_note(action, user, summary))
        try:
            record, note = append_version(client, workspace, name, user, build, make_current)
        except StaleVersionError:
            continue
        return VersionChange(seen, record, note)
    raise TooBusyError(f"`{name}` kept changing while it was being rewritten; try again.")


def fold_principles_summary(prompt: ConstitutionalPrompt) -> str:
    count = len(prompt.principles)
    return f"applied {count} principle{'s' if count != 1 else ''} to the template"


class NothingToApplyError(VersionRefusedError):
    pass


# Said in history of a version applied with ``--compare`` and not made current (yet).
PENDING_SUMMARY_SUFFIX = ", kept aside for a comparison before it goes live"


def apply_principles(
    client: redis.Redis,
    workspace: Workspace,
    name: str,
    user: str,
    fold: Rewrite,
    make_current: bool = True,
) -> VersionChange:
    """Fold the principles into the template with ``fold``; NothingToApplyError without any.

    Without ``make_current`` the new version is kept aside (see ``rewrite_prompt``).
    """
    current = read_current(client, workspace, name)
    if not current.prompt.principles:
        raise NothingToApplyError(
            f"`{name}` has no principles to apply yet. React to or reply on a run's answer first."
        )
    summary = fold_principles_summary(current.prompt)
    if not make_current:
        summary += PENDING_SUMMARY_SUFFIX
    return rewrite_prompt(client, workspace, name, user, "apply", summary, fold, make_current)


def rollback(
    client: redis.Redis, workspace: Workspace, name: str, target: int, user: str
) -> VersionChange:
    """Make version ``target`` (template and principles) current again, as a new version."""
    store = PromptStore(client, workspace)
    wanted = store.version(name, target)  # raises UnknownVersionError / UnknownPromptError
    before: list[PromptVersion] = []

    def build(latest: PromptVersion) -> NextVersion:
        before[:] = [latest]
        summary = f"rolled back to version {target}"
        note = _blank_note("rollback", user, summary, source_version=target)
        return NextVersion(copy.deepcopy(wanted.prompt), note, settings=wanted.settings)

    record, note = append_version(client, workspace, name, user, build)
    return VersionChange(before[0], record, note)


def configure(
    client: redis.Redis, workspace: Workspace, name: str, user: str, given: Mapping[str, str]
) -> VersionChange:
    """Save the current template and principles again as a new version whose model settings
    are the current ones with ``given`` (name -> typed value) applied. ModelSettingsError for a
    bad value; SettingsUnchangedError when nothing would change."""
    before: list[PromptVersion] = []

    def build(latest: PromptVersion) -> NextVersion:
        # Merged with the version the commit lands on, so a concurrent change is not undone.
        settings = apply_settings(latest.settings, given)
        if latest.settings == settings:
            raise SettingsUnchangedError(
                f"Version {latest.version} of `{name}` has these settings already; nothing was "
                "saved."
            )
        before[:] = [latest]
        note = _blank_note("config", user, f"set the model settings: {settings.describe()}")
        return NextVersion(copy.deepcopy(latest.prompt), note, settings=settings)

    record, note = append_version(client, workspace, name, user, build)
    return VersionChange(before[0], record, note)


class SettingsUnchangedError(VersionRefusedError):
    pass


def _describe_plain(version: PromptVersion, previous: PromptVersion | None) -> str:
    """What a version without a note did, judged from the versions themselves."""
    if previous is None:
        return "created the prompt"
    if version.prompt.preamble != previous.prompt.preamble:
        return "edited the template"
    return "saved the prompt unchanged"


def history(client: redis.Redis, workspace: Workspace, name: str) -> list[HistoryEntry]:
    """Every version of ``name``, oldest first, with who, what and when."""
    store = PromptStore(client, workspace)
    versions = store.versions(name)
    by_version = notes(client, workspace, name)
    undone = undone_versions(client, workspace, name)
    current = store.current(name).version
    entries = []
    previous: PromptVersion | None = None
    for version in versions:
        note = by_version.get(version.version)
        what = note.summary if note else _describe_plain(version, previous)
        if note and note.feedback_kind and note.run_version is not None:
            what += f", on an answer from version {note.run_version}"
        entries.append(
            HistoryEntry(
                version=version.version,
                user=version.author,
                at=version.created_at,
                what=what,
                undone=version.version in undone,
                current=version.version == current,
            )
        )
        previous = version
    return entries
