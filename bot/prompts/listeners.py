"""Every listener of the prompt lifecycle: its forms and the buttons of delete and restore."""

from __future__ import annotations

from slack_bolt import App

from bot.prompts import buttons, modals
from bot.services import Services


def register(app: App, services: Services) -> None:
    buttons.register(app, services)
    modals.register(app, services)
