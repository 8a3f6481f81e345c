"""A PNG chart of accuracy per training step, uploaded into the training's thread.

Drawn with matplotlib's Agg backend on a Figure of its own (no pyplot), so it needs no display
and is safe in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from slack_sdk import WebClient

from bot.labelers.run_state import StepResult

FIGURE_INCHES = (6.4, 3.6)
DPI = 100


def accuracy_plot_png(labeler: str, steps: Sequence[StepResult], score_name: str) -> bytes:
    """Test accuracy and validation score after each step, as PNG bytes."""
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    numbers = [result.step for result in steps]
    tested = [
        (result.step, result.test_accuracy) for result in steps if result.test_accuracy is not None
    ]
    if tested:
        axes.plot(
            [step for step, _ in tested],
            [value for _, value in tested],
            marker="o",
            label="test accuracy",
        )
    axes.plot(
        numbers,
        [result.validation_score for result in steps],
        marker="s",
        linestyle="--",
        label=f"validation {score_name}",
    )
    axes.set_xlabel("training step")
    axes.set_ylabel("score")
    axes.set_ylim(0.0, 1.02)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{labeler}: accuracy per step")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
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
