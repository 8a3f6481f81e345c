"""Every listener of the prompt and run flows; ``register`` is what the app calls."""

from __future__ import annotations

from slack_bolt import App

from bot.background import background_work_of
from bot.listeners import (
    commands,
    feedback,
    mentions,
    modals,
    training,
    training_form,
    unhandled,
    uploads,
)
from bot.services import Services


def register(app: App, services: Services) -> None:
    # The pool Bolt's lazy listeners run in; the feedback listeners hand their work to it too.
    feedback_work = background_work_of(app)
    # First: these match only their own events, and each listener tried costs ack time.
    feedback.register_interactions(app, services, feedback_work)
    commands.register(app, services)
    mentions.register(app, services)
    modals.register(app, services)
    # Before the thread-reply listener of feedback, which takes the replies left over.
    training.register(app, services)
    training_form.register(app, services)
    uploads.register(app, services)
    feedback.register_replies(app, services, feedback_work)
    # Last: acks whatever no listener above took, so Slack does not retry it.
    unhandled.register(app, services)
