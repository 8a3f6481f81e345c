"""The live progress message: a pure renderer, and a throttle for how often it may be edited.

Slack rate-limits ``chat.update`` and a message that changes many times a second is unreadable,
so the message is edited at most once per interval (3 s): updates in between are dropped, and
the last one of a training waits for its turn so the final state is always shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.labelers.clock import Clock
from bot.labelers.run_state import CANCELLED, FAILED, FINISHED, QUEUED, TrainingRun
from bot.slack.blocks import escaped_preview
from bot.slack.chunking import escape_mrkdwn

Block = dict[str, Any]

# The labeler's phases in the order a step runs them; "infer" is the test-row evaluation.
PHASES = ("initialize", "validate", "mine", "improve", "score", "infer")
PHASE_NAMES = {
    "initialize": "writing first rules",
    "validate": "checking the current rules",
    "mine": "looking for mistakes",
    "improve": "proposing rule changes",
    "score": "scoring candidate rules",
    "infer": "measuring accuracy on the test rows",
}
BAR_WIDTH = 20


@dataclass(frozen=True)
class ProgressView:
    labeler: str
    status: str
    step: int  # the step under way, or the last step done once the training has ended
    steps_total: int
    fraction: float  # of the whole training, 0..1
    model_calls: int
    accuracy: float | None  # on the test rows, after the latest step
    elapsed_seconds: float
    split_text: str
    phase: str | None = None
    note: str | None = None  # why it failed, or who cancelled


def view_for_run(
    run: TrainingRun,
    now: float,
    phase: str | None = None,
    position: float | None = None,
    model_calls: int | None = None,
    step: int | None = None,
) -> ProgressView:
    """The view of ``run`` at time ``now``. A running step passes ``step`` (its number) and
    ``position`` (steps done, counting its own share); by default both follow the saved state."""
    ended = run.is_final
    done = run.steps_done if position is None or ended else position
    if step is None or ended:
        step = run.steps_done if ended and run.status != FAILED else run.next_step
    return ProgressView(
        labeler=run.labeler,
        status=run.status,
        step=min(step, run.steps_total),
        steps_total=run.steps_total,
        fraction=overall(done, run.steps_total),
        model_calls=run.model_calls if model_calls is None else model_calls,
        accuracy=run.latest_accuracy,
        elapsed_seconds=(run.finished_at if run.finished_at is not None else now) - run.started_at,
        split_text=run.split_text,
        phase=phase,
        note=run.error,
    )


def within_step(phase: str, done: int, total: int) -> float:
    """A rough share of a step finished: phases count equally, each filled by its own count."""
    if phase not in PHASES:
        return 0.0
    share = min(done / total, 1.0) if total > 0 else 1.0
    return (PHASES.index(phase) + share) / len(PHASES)


def overall(steps_done: float, steps_total: int) -> float:
    """The share of the training done, 0..1, from the steps done (a running step counts in part)."""
    if steps_total <= 0:
        return 1.0
    return min(max(steps_done / steps_total, 0.0), 1.0)


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return "█" * filled + "░" * (width - filled)


def format_duration(seconds: float) -> str:
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_accuracy(accuracy: float | None) -> str:
    return "not measured yet" if accuracy is None else f"{accuracy:.1%}"


def _headline(view: ProgressView) -> str:
    name = f"`{escape_mrkdwn(view.labeler)}`"
    of = f"{view.step} of {view.steps_total}"
    if view.status == FINISHED:
        return f":white_check_mark: Training {name} finished: {of} steps"
    if view.status == CANCELLED:
        return f":black_square_for_stop: Training {name} was cancelled after step {of}"
    if view.status == FAILED:
        return f":x: Training {name} stopped during step {of}"
    if view.status == QUEUED:
        return f":hourglass_flowing_sand: Training {name}: step {of} is waiting for a worker"
    doing = f" ({PHASE_NAMES[view.phase]})" if view.phase in PHASE_NAMES else ""
    return f":gear: Training {name}: step {of}{doing}"


def render_progress(view: ProgressView) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for the progress message."""
    percent = f"{view.fraction:.0%}"
    facts = (
        f"{view.model_calls:,} model calls · test accuracy {format_accuracy(view.accuracy)} · "
        f"{format_duration(view.elapsed_seconds)} elapsed"
    )
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{_headline(view)}\n`{progress_bar(view.fraction)}` {percent}",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
        {
            "type": "section",
            # Many labels with long names make a long split table; the report has every count.
            "text": {"type": "mrkdwn", "text": f"```{escaped_preview(view.split_text, 2990)}```"},
        },
    ]
    if view.note:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": escaped_preview(view.note, 2900)}],
            }
        )
    elif view.status not in (FINISHED, FAILED, CANCELLED):
        hint = f"Stop it with `/align cancel {escape_mrkdwn(view.labeler)}`."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    text = (
        f"Training {view.labeler}: {view.status}, step {view.step} of {view.steps_total}, "
        f"{percent}, {facts}"
    )
    return text, blocks


class Throttle:
    """Allows one send per ``interval`` seconds of ``clock`` time, counted from the end of the
    previous send (so a slow send never lets the next one in early)."""

    def __init__(self, clock: Clock, interval: float, last_sent: float | None = None) -> None:
        self.clock = clock
        self.interval = interval
        self.last_sent = last_sent

    def remaining(self) -> float:
        if self.last_sent is None:
            return 0.0
        return max(self.last_sent + self.interval - self.clock.now(), 0.0)

    def due(self) -> bool:
        return self.remaining() <= 0.0

    def wait(self) -> None:
        remaining = self.remaining()
        if remaining > 0:
            self.clock.sleep(remaining)

    def mark_sent(self) -> None:
        self.last_sent = self.clock.now()
