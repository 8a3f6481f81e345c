"""Uploaded training data in Redis, so a worker on any machine can read what was uploaded.

The data is stored once it has passed the library's CSV checks: the chosen columns as JSON, with
label values kept typed (true/false, whole numbers, text). It is capped in size, because Redis
holds it in memory, and it expires, because nobody needs it once its trainings are over; every
read by a training pushes the expiry back, so a long training never loses its data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import redis

from bot.keys import Workspace

DATASET_FORMAT = 1


class DatasetStoreError(Exception):
    """The data cannot be stored or read; the message says what to do."""


class DatasetTooLargeError(DatasetStoreError):
    pass


class DatasetMissingError(DatasetStoreError):
    pass


@dataclass(frozen=True)
class StoredDataset:
    dataset_id: str
    frame: pd.DataFrame
    label: str
    inputs: list[str]
    source_name: str


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(size // 1000, 1):,} KB"


class DatasetStore:
    """One workspace's uploaded datasets."""

    def __init__(
        self,
        client: redis.Redis,
        workspace: Workspace,
        max_bytes: int,
        ttl_seconds: int,
        workspace_max_bytes: int | None = None,
    ) -> None:
        self.redis = client
        self.keys = workspace.keys
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        # All of the workspace's stored datasets together; None: no limit beyond each one's.
        self.workspace_max_bytes = workspace_max_bytes

    def stored_bytes(self) -> int:
        """Bytes of the workspace's datasets still stored (expired ones are forgotten here)."""
        sizes = self.redis.hgetall(self.keys.dataset_sizes())
        gone = [d for d in sizes if not self.redis.exists(self.keys.dataset(str(d)))]
        if gone:
            self.redis.hdel(self.keys.dataset_sizes(), *gone)
        return sum(int(size) for dataset, size in sizes.items() if dataset not in gone)

    def save(
        self, frame: pd.DataFrame, label: str, inputs: Sequence[str], source_name: str = ""
    ) -> str:
        """Store the ``inputs`` and ``label`` columns of ``frame``; returns the dataset id."""
        columns = [*inputs, label]
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            raise DatasetStoreError(f"The data has no column(s) {missing}.")
        document = {
            "format": DATASET_FORMAT,
            "label": label,
            "inputs": list(inputs),
            "source_name": source_name,
            "columns": {
                name: [_plain(value) for value in frame[name].tolist()] for name in columns
            },
        }
        encoded = json.dumps(document, ensure_ascii=False).encode("utf-8")
        if len(encoded) > self.max_bytes:
            raise DatasetTooLargeError(
                f"The training data takes {_size(len(encoded))} once stored; the limit is "
                f"{_size(self.max_bytes)}. Upload fewer rows or shorter texts (a few "
                "hundred rows per label is plenty to train on)."
            )
        if self.workspace_max_bytes is not None:
            stored = self.stored_bytes()
            if stored + len(encoded) > self.workspace_max_bytes:
                raise DatasetTooLargeError(
                    f"This workspace already keeps {_size(stored)} of training data and may keep "
                    f"{_size(self.workspace_max_bytes)}; this upload needs {_size(len(encoded))}. "
                    "Wait for a training to finish or its data to expire, or upload fewer rows."
                )
        dataset_id = uuid.uuid4().hex[:16]
        pipe = self.redis.pipeline()
        pipe.set(self.keys.dataset(dataset_id), encoded, ex=self.ttl_seconds)
        pipe.hset(self.keys.dataset_sizes(), dataset_id, len(encoded))
        pipe.execute()
        return dataset_id

    def load(self, dataset_id: str) -> StoredDataset:
        """The stored data, with its expiry pushed back by the full TTL."""
        raw = self.redis.getex(self.keys.dataset(dataset_id), ex=self.ttl_seconds)
        if raw is None:
            days = max(self.ttl_seconds // 86_400, 1)
            raise DatasetMissingError(
                "The uploaded data for this training is no longer stored (uploads are kept "
                f"about {days} day(s) after last use). Upload the CSV again to train."
            )
        document = json.loads(raw)
        label, inputs = str(document["label"]), [str(name) for name in document["inputs"]]
        columns = document["columns"]
        # Built the way the CSV loader builds it: text inputs, labels as typed Python objects.
        frame = pd.DataFrame({name: [str(value) for value in columns[name]] for name in inputs})
        frame[label] = pd.Series(columns[label], dtype=object)
        return StoredDataset(dataset_id, frame, label, inputs, str(document["source_name"]))

    def exists(self, dataset_id: str) -> bool:
        return bool(self.redis.exists(self.keys.dataset(dataset_id)))

    def delete(self, dataset_id: str) -> None:
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.dataset(dataset_id))
        pipe.hdel(self.keys.dataset_sizes(), dataset_id)
        pipe.execute()


def _plain(value: Any) -> Any:
    """numpy scalars become the Python values JSON knows; labels keep their type."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value
