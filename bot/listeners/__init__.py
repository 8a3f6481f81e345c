"""Every listener of the prompt and run flows; ``register`` is what the app calls."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import commands, mentions, modals
from bot.services import Services


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    mentions.register(app, services)
    modals.register(app, services)
