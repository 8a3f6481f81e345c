"""Every listener of the feedback loop, sharing one pool for their model work."""

from __future__ import annotations

from slack_bolt import App

from bot.feedback.work import BackgroundWork
from bot.listeners import (
    app_home,
    feedback_buttons,
    feedback_reactions,
    feedback_replies,
    version_buttons,
)
from bot.services import Services


def register(app: App, services: Services) -> None:
    work = BackgroundWork()
    feedback_reactions.register(app, services, work)
    feedback_buttons.register(app, services, work)
    version_buttons.register(app, services)
    app_home.register(app, services, work)
    # Last: it takes every message the command listeners registered before it did not.
    feedback_replies.register(app, services, work)
