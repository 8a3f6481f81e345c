"""Version labels: names such as ``production`` or ``staging`` pointing at one prompt version.

A prompt's labels are one Redis hash, label -> version number, so a label is on at most one
version at a time, and moving it is one field write. Every move is a compare-and-set (WATCH on
the labels, the versions and the name, then MULTI) that also checks the prompt and the version
still exist, and is written together with its audit entry, like every other change to a prompt.
Applications read a prompt by label through the prompt API (``bot.api``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

import redis
from redis.client import Pipeline

from bot.keys import Workspace
from bot.prompts.audit import audit_entry
from bot.prompts.store import NAME_KIND, UnknownPromptError, UnknownVersionError

DEFAULT_LABEL = "production"
LABEL_RULE = "lowercase letters, digits, -, _ and ., starting with a letter or digit, at most 32"
LABEL_PATTERN = r"[a-z0-9][a-z0-9_.-]{0,31}"
_LABEL = re.compile(LABEL_PATTERN)
# Enough for every stage a team deploys to; a bound so one prompt cannot grow without end.
MAX_LABELS_PER_PROMPT = 20

# ``expected`` of ``move``: no check of where the label was.
ANYWHERE: Final = "anywhere"
Expected = int | None | Literal["anywhere"]


class LabelError(ValueError):
    """A label name or move was refused; the message says why and what to do."""


class LabelMovedError(LabelError):
    """The label is no longer where the caller expected it: someone moved it meanwhile."""

    def __init__(self, name: str, label: str, expected: int | None, actual: int | None) -> None:
        self.expected, self.actual = expected, actual
        now = f"on version {actual}" if actual is not None else "on no version"
        was = f"version {expected}" if expected is not None else "no version"
        super().__init__(
            f"`{label}` of `{name}` has moved since: it is {now} now, not {was}. Nothing was "
            f"changed; see `/align history {name}`, then `/align promote {name} VERSION {label}`."
        )


def check_label(label: str) -> str:
    """``label`` when it is a valid label name; LabelError with the rule otherwise."""
    if _LABEL.fullmatch(label):
        return label
    raise LabelError(f"`{label[:40]}` is not a valid label: use {LABEL_RULE} characters.")


@dataclass(frozen=True)
class LabelMove:
    name: str
    label: str
    before: int | None  # the version it was on, None when it was on none
    after: int | None  # the version it is on now, None when it was removed


class LabelStore:
    """The labels of one workspace's prompts."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def labels(self, name: str) -> dict[str, int]:
        """Every label of ``name`` and the version it is on (empty for an unknown prompt)."""
        raw = self.redis.hgetall(self.keys.prompt_labels(name))
        return {str(label): int(version) for label, version in sorted(raw.items())}

    def version_of(self, name: str, label: str) -> int | None:
        found = self.redis.hget(self.keys.prompt_labels(name), label)
        return int(found) if found is not None else None

    def by_version(self, name: str) -> dict[int, list[str]]:
        """Version -> the labels on it, each list sorted."""
        found: dict[int, list[str]] = {}
        for label, version in self.labels(name).items():
            found.setdefault(version, []).append(label)
        return found

    def move(
        self,
        name: str,
        label: str,
        version: int | None,
        user: str,
        expected: Expected = ANYWHERE,
    ) -> LabelMove:
        """Put ``label`` on ``version`` of ``name`` (None: take it off), if it is still on
        ``expected`` (a version, or None for nowhere; ANYWHERE skips the check).

        Raises UnknownPromptError, UnknownVersionError, LabelMovedError or LabelError (a bad
        name, too many labels); nothing changes then.
        """
        check_label(label)
        keys = self.keys
        labels_key, versions_key = keys.prompt_labels(name), keys.prompt_versions(name)
        done: list[LabelMove] = []

        def attempt(pipe: Pipeline) -> None:
            done.clear()
            if pipe.hget(keys.names(), name) != NAME_KIND:
                raise UnknownPromptError(name, [])
            count = int(pipe.llen(versions_key))
            if version is not None and not 1 <= version <= count:
                raise UnknownVersionError(
                    f"`{name}` has no version {version}; it has versions 1 to {count}."
                )
            raw = pipe.hget(labels_key, label)
            before = int(raw) if raw is not None else None
            if expected != ANYWHERE and before != expected:
                raise LabelMovedError(name, label, expected, before)
            adding = before is None and version is not None
            if adding and int(pipe.hlen(labels_key)) >= MAX_LABELS_PER_PROMPT:
                raise LabelError(
                    f"`{name}` has {MAX_LABELS_PER_PROMPT} labels, the most a prompt may have. "
                    "Move one of them instead of adding another."
                )
            pipe.multi()
            if version is None:
                pipe.hdel(labels_key, label)
                detail = f"removed label {label}" + (f" from version {before}" if before else "")
            else:
                pipe.hset(labels_key, label, str(version))
                origin = f" (was on version {before})" if before is not None else ""
                detail = f"label {label} on version {version}{origin}"
            pipe.rpush(keys.audit(), audit_entry(user, "label", name, detail))
            done.append(LabelMove(name, label, before, version))

        self.redis.transaction(attempt, keys.names(), labels_key, versions_key)
        return done[0]
