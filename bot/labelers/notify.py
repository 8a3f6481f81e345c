"""Accuracy notifications in a labeler's notification channel.

The rules, for test accuracy measured after a step, against the last value announced for this
labeler (kept across trainings):

- nothing announced yet: announce (it is the first news);
- it moved by at least ``delta`` since the last announcement, up or down: announce;
- it crossed ``target`` since the last announcement, up (reached) or down (fell below):
  announce, however small the move;
- when a training ends: always announce the final accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.chunking import escape_mrkdwn

FIRST, MOVED, REACHED, FELL_BELOW, ENDED = "first", "moved", "reached", "fell below", "ended"


@dataclass(frozen=True)
class Notification:
    reason: str
    accuracy: float
    previous: float | None


def after_step(
    accuracy: float, previous: float | None, delta: float, target: float | None
) -> Notification | None:
    """The notification a step's accuracy calls for, or None."""
    if previous is None:
        return Notification(FIRST, accuracy, previous)
    if target is not None:
        if previous < target <= accuracy:
            return Notification(REACHED, accuracy, previous)
        if accuracy < target <= previous:
            return Notification(FELL_BELOW, accuracy, previous)
    # A tolerance keeps 0.80 -> 0.85 (a float difference of 0.04999...) a move of 0.05.
    if abs(accuracy - previous) >= delta - 1e-9:
        return Notification(MOVED, accuracy, previous)
    return None


def at_end(accuracy: float, previous: float | None) -> Notification:
    return Notification(ENDED, accuracy, previous)


def notification_text(
    notification: Notification,
    labeler: str,
    step: int,
    steps_total: int,
    target: float | None,
) -> str:
    name = f"`{escape_mrkdwn(labeler)}`"
    value = f"{notification.accuracy:.1%}"
    change = ""
    if notification.previous is not None:
        points = (notification.accuracy - notification.previous) * 100
        change = f" ({points:+.1f} points since the last notice)"
    if notification.reason == ENDED:
        headline = f":bar_chart: {name} finished training: test accuracy {value}{change}"
    elif notification.reason == REACHED:
        headline = (
            f":dart: {name} reached its target of {target:.1%}: test accuracy {value}{change}"
        )
    elif notification.reason == FELL_BELOW:
        headline = (
            f":warning: {name} fell below its target of {target:.1%}: test accuracy {value}{change}"
        )
    else:
        arrow = (
            ":chart_with_downwards_trend:"
            if notification.previous is not None and notification.accuracy < notification.previous
            else ":chart_with_upwards_trend:"
        )
        headline = f"{arrow} {name} test accuracy {value}{change}"
    return f"{headline}, after step {step} of {steps_total}."
