"""Deterministic embeddings for the fake model servers.

Each text gets a vector derived from a hash of it, so the same text always gets the same vector
in every process, and tests that need vectors with a shape (two clearly separated groups of
rows) pass their own ``Embedder`` to the fake server instead.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

Embedder = Callable[[str], list[float]]
DEFAULT_DIMENSIONS = 8


def hash_embedding(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector of ``dimensions`` numbers that depends only on ``text``."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}\x1f{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    vector = values[:dimensions]
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]
