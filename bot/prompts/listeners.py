"""Every listener of the prompt lifecycle: its forms, the buttons of delete and restore, and
the button that moves a label back."""

from __future__ import annotations

from slack_bolt import App

from bot.prompts import buttons, modals, promotion
from bot.services import Services


def register(app: App, services: Services) -> None:
    buttons.register(app, services)
    modals.register(app, services)
    promotion.register(app, services)
