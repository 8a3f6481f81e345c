"""Our side of the labeler benchmark: one timed ``train_step`` of ``alignment.labeler``."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
from simulated_model import (
    LABEL_COLUMN,
    TASK_DESCRIPTION,
    TEXT_COLUMN,
    TICKET_LABELS,
    SimulatedModelMixin,
)

from alignment._providers.base import ModelHelper
from alignment.labeler import Labeler


class SimulatedModel(SimulatedModelMixin, ModelHelper):
    """The simulated model, seen by our labeler as one of its own helpers."""


def time_train_step(
    train: pd.DataFrame,
    validation: pd.DataFrame | None,
    latency: float,
    concurrency: int,
    seed: int,
    record_timeline: bool = True,
) -> dict[str, Any]:
    """Start a checkpoint (not timed), then time one train step; counters as plain JSON.

    Without ``validation`` the step scores on the labeler's own sample of the training rows,
    as the product does.
    """
    model = SimulatedModel(latency=latency, record_timeline=record_timeline)
    labeler = Labeler(
        input_names=[TEXT_COLUMN],
        label_name=LABEL_COLUMN,
        label_values=list(TICKET_LABELS),
        task_description=TASK_DESCRIPTION,
        train_model_helper=model,
        eval_model_helper=model,
        max_concurrency=concurrency,
        seed=seed,
    )
    checkpoint = labeler.initialize_checkpoint(train)
    starting_rulebook = frozenset(model.rules_written)
    model.stats.reset()
    started = time.perf_counter()
    labeler.train_step(checkpoint, train, validation)
    wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        **model.stats.summary(starting_rulebook),
        "labeler_stats": _plain(getattr(labeler, "stats", None)),
    }


def _plain(stats: object) -> dict[str, Any]:
    """The labeler's own counters as a dict, whatever shape it keeps them in."""
    if stats is None:
        return {}
    if isinstance(stats, dict):
        return dict(stats)
    for method in ("to_dict", "snapshot", "as_dict"):
        if callable(getattr(stats, method, None)):
            return dict(getattr(stats, method)())
    return {k: v for k, v in vars(stats).items() if not k.startswith("_")}
