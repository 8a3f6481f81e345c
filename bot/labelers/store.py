"""A workspace's labelers in Redis: settings, append-only checkpoint versions, latest scores.

Labelers share the workspace's name space with prompts (``{ns}:names``), so ``/align show spam``
can only mean one thing. Every saved checkpoint becomes a new version carrying the settings it
was trained with, so any version can be loaded back on its own; versions are never rewritten.
The labeler's hash also keeps its latest test scorecard and where and when to send accuracy
notifications.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from alignment.labeler import LabelerCheckpoint, Scorecard
from bot.keys import Workspace

NAME_KIND = "labeler"
DEFAULT_NOTIFY_DELTA = 0.05


class LabelerStoreError(Exception):
    """A labeler operation was refused; the message says why and what to do instead."""


class LabelerNameTakenError(LabelerStoreError):
    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        super().__init__(
            f"`{name}` is already the name of a {kind} in this workspace; pick another name for "
            "the labeler."
        )


class UnknownLabelerError(LabelerStoreError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"There is no labeler named `{name}`. See `/align list`.")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CheckpointVersion:
    """One saved checkpoint of a labeler, with the settings it was trained with."""

    version: int
    checkpoint: LabelerCheckpoint
    settings: dict[str, Any]
    run_id: str | None
    step: int | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "checkpoint": self.checkpoint.to_dict(),
            "settings": self.settings,
            "run_id": self.run_id,
            "step": self.step,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointVersion:
        return cls(
            version=int(data["version"]),
            checkpoint=LabelerCheckpoint.from_dict(data["checkpoint"]),
            settings=dict(data["settings"]),
            run_id=data.get("run_id"),
            step=data.get("step"),
            created_at=str(data["created_at"]),
        )


@dataclass(frozen=True)
class NotificationSettings:
    """Where accuracy notifications go (None: the channel the training was started from), the
    accuracy worth announcing when crossed, and the change worth announcing after a step."""

    channel: str | None = None
    target: float | None = None
    delta: float = DEFAULT_NOTIFY_DELTA


@dataclass(frozen=True)
class LabelerSummary:
    name: str
    current_version: int
    accuracy: float | None
    updated_at: str


class LabelerStore:
    """Labelers of one workspace. Every key comes from ``bot.keys`` for that workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    # -- names and settings --------------------------------------------------------------------

    def claim(self, name: str, settings: dict[str, Any], author: str) -> bool:
        """Record ``settings`` for labeler ``name``, creating it when new (returns True then).

        Refuses a name a prompt already uses.
        """
        created: list[bool] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            created.clear()
            kind = pipe.hget(self.keys.names(), name)
            if kind is not None and kind != NAME_KIND:
                raise LabelerNameTakenError(name, str(kind))
            now = now_iso()
            fields: dict[FieldT, EncodableT] = {"settings": json.dumps(settings), "updated_at": now}
            if kind is None:
                fields.update(created_by=author, created_at=now)
            pipe.multi()
            pipe.hset(self.keys.names(), name, NAME_KIND)
            pipe.hset(self.keys.labeler(name), mapping=fields)
            created.append(kind is None)

        self.redis.transaction(attempt, self.keys.names())
        return created[0]

    def check_name_free(self, name: str) -> None:
        """LabelerNameTakenError unless ``name`` is unused or already this kind of thing."""
        kind = self.redis.hget(self.keys.names(), name)
        if kind is not None and kind != NAME_KIND:
            raise LabelerNameTakenError(name, str(kind))

    def exists(self, name: str) -> bool:
        return self.redis.hget(self.keys.names(), name) == NAME_KIND

    def names(self) -> list[str]:
        entries = self.redis.hgetall(self.keys.names())
        return sorted(str(name) for name, kind in entries.items() if kind == NAME_KIND)

    def settings(self, name: str) -> dict[str, Any]:
        raw = self.redis.hget(self.keys.labeler(name), "settings")
        if raw is None:
            raise UnknownLabelerError(name)
        return dict(json.loads(str(raw)))

    # -- checkpoint versions -------------------------------------------------------------------

    def version_count(self, client: redis.Redis | redis.client.Pipeline, name: str) -> int:
        """How many versions exist (read through ``client``, e.g. a watching pipeline)."""
        return int(client.llen(self.keys.labeler_checkpoints(name)))

    def stage_version(
        self, pipe: redis.client.Pipeline, name: str, record: CheckpointVersion
    ) -> None:
        """Queue the writes that save ``record`` on a pipeline already in MULTI mode.

        The caller read ``version_count`` under WATCH, so ``record.version`` is the next number.
        """
        pipe.rpush(self.keys.labeler_checkpoints(name), json.dumps(record.to_dict()))
        pipe.hset(
            self.keys.labeler(name),
            mapping={"current_version": str(record.version), "updated_at": record.created_at},
        )

    def version(self, name: str, number: int) -> CheckpointVersion | None:
        if number < 1:
            return None
        raw = self.redis.lindex(self.keys.labeler_checkpoints(name), number - 1)
        return None if raw is None else CheckpointVersion.from_dict(json.loads(str(raw)))

    def versions(self, name: str) -> list[CheckpointVersion]:
        raw = self.redis.lrange(self.keys.labeler_checkpoints(name), 0, -1)
        return [CheckpointVersion.from_dict(json.loads(str(item))) for item in raw]

    def current(self, name: str) -> CheckpointVersion | None:
        """The version the labeler answers with now (the latest, unless rolled back)."""
        number = self.redis.hget(self.keys.labeler(name), "current_version")
        return None if number is None else self.version(name, int(number))

    def roll_back(self, name: str, number: int) -> int:
        """Make version ``number`` the one the labeler answers with; returns the one before.

        Refused while the labeler trains (its next step would move the version on again).
        """
        before: list[int] = []
        meta, training = self.keys.labeler(name), self.keys.labeler_training(name)

        def attempt(pipe: redis.client.Pipeline) -> None:
            before.clear()
            if not self.exists(name):
                raise UnknownLabelerError(name)
            if pipe.exists(training):
                raise LabelerStoreError(
                    f"`{name}` is training; stop it with `/align cancel {name}` before rolling "
                    "back."
                )
            count = self.version_count(pipe, name)
            if count == 0:
                raise LabelerStoreError(f"`{name}` has no trained version to roll back to.")
            if not 1 <= number <= count:
                raise LabelerStoreError(
                    f"`{name}` has versions 1 to {count}; there is no version {number}."
                )
            before.append(int(pipe.hget(meta, "current_version") or 0))
            pipe.multi()
            pipe.hset(meta, mapping={"current_version": str(number), "updated_at": now_iso()})

        self.redis.transaction(attempt, meta, training, self.keys.labeler_checkpoints(name))
        return before[0]

    # -- scores and notifications --------------------------------------------------------------

    def record_scorecard(self, name: str, version: int, scorecard: Scorecard) -> None:
        """Keep ``scorecard`` (on the test rows) as the labeler's latest."""
        self.redis.hset(
            self.keys.labeler(name),
            mapping={
                "scorecard": json.dumps(dict(scorecard)),
                "accuracy": repr(float(scorecard["accuracy"])),
                "scored_version": str(version),
            },
        )

    def latest_scorecard(self, name: str) -> tuple[int, Scorecard] | None:
        """(version scored, scorecard) of the latest test scorecard, if any."""
        stored = self.redis.hmget(self.keys.labeler(name), ["scorecard", "scored_version"])
        if stored[0] is None or stored[1] is None:
            return None
        return int(stored[1]), json.loads(str(stored[0]))

    def notification_settings(self, name: str) -> NotificationSettings:
        channel, target, delta = self.redis.hmget(
            self.keys.labeler(name), ["notify_channel", "notify_target", "notify_delta"]
        )
        return NotificationSettings(
            channel=str(channel) if channel else None,
            target=float(target) if target else None,
            delta=float(delta) if delta else DEFAULT_NOTIFY_DELTA,
        )

    def set_notification_settings(self, name: str, settings: NotificationSettings) -> None:
        if not self.exists(name):
            raise UnknownLabelerError(name)
        if settings.delta <= 0 or (settings.target is not None and not 0 < settings.target <= 1):
            raise LabelerStoreError(
                "delta must be above 0 and target between 0 and 1, e.g. `target=0.9 delta=0.05`."
            )
        self.redis.hset(
            self.keys.labeler(name),
            mapping={
                "notify_channel": settings.channel or "",
                "notify_target": "" if settings.target is None else repr(settings.target),
                "notify_delta": repr(settings.delta),
            },
        )

    def last_notified_accuracy(self, name: str) -> float | None:
        value = self.redis.hget(self.keys.labeler(name), "last_notified_accuracy")
        return float(value) if value else None

    def set_last_notified_accuracy(self, name: str, accuracy: float) -> None:
        self.redis.hset(self.keys.labeler(name), "last_notified_accuracy", repr(float(accuracy)))

    def summaries(self) -> list[LabelerSummary]:
        names = self.names()
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hmget(self.keys.labeler(name), ["current_version", "accuracy", "updated_at"])
        summaries = []
        for name, (version, accuracy, updated_at) in zip(names, pipe.execute(), strict=True):
            summaries.append(
                LabelerSummary(
                    name=name,
                    current_version=int(version or 0),
                    accuracy=float(accuracy) if accuracy else None,
                    updated_at=str(updated_at or ""),
                )
            )
        return summaries
