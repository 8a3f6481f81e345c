"""The rows a run scores its checkpoints on when no separate validation frame is given."""

from __future__ import annotations

import numpy as np

from alignment._labeler.step_settings import VALIDATION_STREAM
from alignment._labeler.types import LabelerCheckpoint


def validation_positions(
    checkpoint: LabelerCheckpoint | None, n_rows: int, n_wanted: int, seed: int
) -> list[int]:
    """The run's validation rows: the checkpoint's, or a seeded sample of the training rows.

    The sample depends only on the seed and the number of rows, so it is the same at every step
    of a run, and in a run resumed elsewhere from the same data.
    """
    if (
        checkpoint is not None
        and checkpoint.validation_rows is not None
        and checkpoint.validation_source_size == n_rows
        and all(0 <= row < n_rows for row in checkpoint.validation_rows)
    ):
        return list(checkpoint.validation_rows)
    rng = np.random.default_rng([seed, VALIDATION_STREAM])
    chosen = rng.choice(n_rows, size=min(n_wanted, n_rows), replace=False)
    return sorted(int(row) for row in chosen)
