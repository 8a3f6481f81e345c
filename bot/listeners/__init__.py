"""Every listener of the prompt and run flows; ``register`` is what the app calls."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import (
    commands,
    feedback,
    mentions,
    modals,
    training,
    training_form,
    uploads,
)
from bot.services import Services


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    mentions.register(app, services)
    modals.register(app, services)
    # Before feedback, whose thread-reply listener takes every message left over.
    training.register(app, services)
    training_form.register(app, services)
    uploads.register(app, services)
    feedback.register(app, services)
