"""Embedding rows and sending each to its expert: the nearest centroid to the row's embedding.

Texts are embedded in batches, each batch one model call on the session's call slots, so a
large frame is embedded with as many calls in flight as the labeler allows. Vectors are scaled
to unit length, so nearness is cosine similarity, whatever scale a model's vectors come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from alignment._labeler.examples import Example, examples_at, truncate_words
from alignment._labeler.kmeans import nearest
from alignment._labeler.model_calls import CallSession, ModelCaller
from alignment._labeler.prompts import TaskSpec
from alignment._labeler.step_settings import PRIORITY_MINE
from alignment._providers.base import SupportsEmbedding

# Texts per embedding call made by the labeler (the helper splits further if its service must).
EMBED_BATCH = 64


def embedding_text(example: Example, truncation_length: int | None) -> str:
    """What is embedded for a row: each input column's name and value, shortened like prompts."""
    return "\n".join(
        f"{name}: {truncate_words(value, truncation_length)}" for name, value in example.inputs
    )


class Router:
    """Embeds rows of a frame for one operation (a step, a labelling pass)."""

    def __init__(
        self,
        caller: ModelCaller,
        session: CallSession,
        helper: SupportsEmbedding,
        task: TaskSpec,
    ) -> None:
        self.caller = caller
        self.session = session
        self.helper = helper
        self.task = task

    def vectors(self, frame: pd.DataFrame, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        """Unit vectors, one row per position, in order."""
        examples = examples_at(frame, positions, self.task.input_names, None)
        return self.vectors_of(examples)

    def vectors_of(self, examples: Sequence[Example]) -> np.ndarray:
        truncation = self.task.truncation_length
        texts = [embedding_text(example, truncation) for example in examples]
        futures = [
            self.session.run(
                partial(
                    self.caller.embed,
                    self.helper,
                    texts[start : start + EMBED_BATCH],
                    f"embedding rows {start + 1} to {min(start + EMBED_BATCH, len(texts))}",
                ),
                PRIORITY_MINE,
            )
            for start in range(0, len(texts), EMBED_BATCH)
        ]
        try:
            parts = [future.result() for future in futures]
        except BaseException as error:
            self.session.fail(error)
            self.session.raise_failure()
            raise
        if not parts:
            return np.zeros((0, 0), dtype=np.float64)
        if len({part.shape[1] for part in parts}) > 1:
            raise ValueError("the embedding model returned vectors of different sizes")
        vectors = np.vstack(parts).astype(np.float64)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)

    def route(self, vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """Each vector's expert."""
        if vectors.shape[1] != centroids.shape[1]:
            raise ValueError(
                f"the embedding model gives vectors of {vectors.shape[1]} numbers, but the "
                f"experts' centroids have {centroids.shape[1]}: label with the embedding model "
                "the labeler was trained with"
            )
        return nearest(vectors, centroids)
