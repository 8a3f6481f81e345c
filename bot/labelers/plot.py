"""A PNG chart of accuracy per training step, uploaded into the training's thread.

Drawn with matplotlib's Agg backend on a Figure of its own (no pyplot), so it needs no display
and is safe in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from slack_sdk import WebClient

from alignment.data import count_of
from alignment.labeler import LabelerCheckpoint, Scorecard
from bot.labelers.run_state import StepResult

FIGURE_INCHES = (6.4, 3.6)
DPI = 100


@dataclass(frozen=True)
class PlotNotes:
    """What the chart says besides the scores: each known only in some places, hence optional.

    ``start_score`` is the validation score of the rules a run started from (the first
    step's previous score), drawn at step 0 unless the steps begin with a step 0 of their own
    (a training from scratch scores its empty starting rules as step 0); ``validation_rows``
    and ``test_rows`` label the curves; ``target`` is the accuracy an accuracy notice watches
    for, drawn as a line.
    """

    start_score: float | None = None
    validation_rows: int | None = None
    test_rows: int | None = None
    target: float | None = None


def plot_notes(
    checkpoint: LabelerCheckpoint,
    first_step: int,
    scorecard: Scorecard | None = None,
    target: float | None = None,
) -> PlotNotes:
    """The notes a checkpoint's own step records give: the score of the rules the run started
    from (the record of ``first_step`` has it), the validation rows of its latest step, and the
    test rows ``scorecard`` counted."""
    records = {record["step"]: record for record in checkpoint.history}
    first = records.get(first_step)
    latest = checkpoint.history[-1] if checkpoint.history else None
    return PlotNotes(
        start_score=first["previous_score"] if first else None,
        validation_rows=latest["validation_size"] if latest else None,
        test_rows=sum(scorecard["support"]) if scorecard else None,
        target=target,
    )


def _rows(count: int | None) -> str:
    return "" if count is None else f" ({count_of(count, 'row')})"


def accuracy_figure(steps: Sequence[StepResult], score_name: str, notes: PlotNotes) -> Figure:
    """The chart as a Figure, so tests can read its lines and ticks rather than pixels."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Step 0 is the rules before the run's first step, so one step is a line from before to
    # after rather than a lone point.
    validation = [(result.step, result.validation_score) for result in steps]
    if notes.start_score is not None and steps and steps[0].step > 0:
        validation.insert(0, (steps[0].step - 1, notes.start_score))
    tested = [
        (result.step, result.test_accuracy) for result in steps if result.test_accuracy is not None
    ]
    if tested:
        axes.plot(
            [step for step, _ in tested],
            [value for _, value in tested],
            marker="o",
            label=f"test accuracy{_rows(notes.test_rows)}",
        )
    axes.plot(
        [step for step, _ in validation],
        [value for _, value in validation],
        marker="s",
        linestyle="--",
        label=f"validation {score_name}{_rows(notes.validation_rows)}",
    )
    if notes.target is not None:
        axes.axhline(
            notes.target, color="tab:red", linestyle=":", label=f"target {notes.target:.1%}"
        )
    last = max((step for step, _ in validation), default=1)
    axes.set_xlim(0, max(last, 1))
    # Whole steps only: a fractional tick would suggest half a step happened.
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes.set_xlabel("training step (0: the rules before the first step)")
    axes.set_ylabel("score")
    axes.set_ylim(0.0, 1.02)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    return figure


def accuracy_plot_png(
    labeler: str,
    steps: Sequence[StepResult],
    score_name: str,
    notes: PlotNotes | None = None,
) -> bytes:
    """Test accuracy and validation score after each step, as PNG bytes."""
    figure = accuracy_figure(steps, score_name, notes or PlotNotes())
    figure.axes[0].set_title(f"{labeler}: accuracy per step")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def upload_plot(
    client: WebClient, channel: str, thread_ts: str, labeler: str, png: bytes
) -> str | None:
    """Upload ``png`` into the thread with ``files_upload_v2``; returns the file id."""
    response = client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        file=png,
        filename=f"{labeler}-accuracy.png",
        title=f"{labeler}: accuracy per step",
        alt_txt=f"Line chart of {labeler}'s accuracy after each training step",
    )
    uploaded = response.get("file") or {}
    file_id = uploaded.get("id") if isinstance(uploaded, dict) else None
    return str(file_id) if file_id else None
