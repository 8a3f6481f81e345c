"""A trained labeler saved as one JSON file: the labeler's settings, its checkpoint and models.

The settings and checkpoint are exactly what ``Labeler.settings_dict()`` and
``LabelerCheckpoint.to_dict()`` give, so the file rebuilds the same labeler later (``alignbot
labeler label``). Model specs are stored as text (``"gemini:gemini-2.5-flash"``), never keys.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignment.errors import LabelerFileError

FILE_KIND = "alignbot-labeler"
FILE_FORMAT = 1


@dataclass
class LabelerFile:
    settings: dict[str, Any]
    checkpoint: dict[str, Any]
    models: dict[str, str] = field(default_factory=dict)
    # One entry per training step: {"step": n, "scorecard": {...}} on the held-out test rows.
    scorecards: list[dict[str, Any]] = field(default_factory=list)
    # Where the training data came from and how it was split, for the people reading the file.
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": FILE_KIND,
            "format": FILE_FORMAT,
            "settings": self.settings,
            "checkpoint": self.checkpoint,
            "models": self.models,
            "scorecards": self.scorecards,
            "data": self.data,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a run stopped mid-write leaves the previous file intact."""
        target = Path(path)
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LabelerFile:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LabelerFileError(
                f"There is no labeler file at '{path}'. Train one first with "
                "'alignbot labeler train ... --out FILE'."
            ) from None
        except (OSError, UnicodeDecodeError) as error:
            raise LabelerFileError(f"Could not read '{path}': {error}.") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise LabelerFileError(
                f"'{path}' is not valid JSON (line {error.lineno}): it may be truncated. "
                "Train the labeler again, or use the file 'alignbot labeler train' wrote."
            ) from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, name: str = "the file") -> LabelerFile:
        if not isinstance(data, dict) or data.get("kind") != FILE_KIND:
            raise LabelerFileError(
                f"'{name}' is not a labeler file saved by 'alignbot labeler train'."
            )
        if data.get("format") != FILE_FORMAT:
            raise LabelerFileError(
                f"'{name}' uses labeler file format {data.get('format')!r}; this version of "
                f"alignbot reads format {FILE_FORMAT}. Train the labeler again with this version."
            )
        settings, checkpoint = data.get("settings"), data.get("checkpoint")
        if not isinstance(settings, dict) or not isinstance(checkpoint, dict):
            raise LabelerFileError(f"'{name}' is missing its settings or checkpoint.")
        return cls(
            settings=settings,
            checkpoint=checkpoint,
            models={str(k): str(v) for k, v in (data.get("models") or {}).items()},
            scorecards=list(data.get("scorecards") or []),
            data=dict(data.get("data") or {}),
        )
