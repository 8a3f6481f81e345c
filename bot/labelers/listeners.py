"""Every listener of the labeler flows: typed commands, the train form, and CSV uploads."""

from __future__ import annotations

from slack_bolt import App

from bot.labelers import form_submissions, handlers, uploads
from bot.services import Services


def register(app: App, services: Services) -> None:
    handlers.register(app, services)
    form_submissions.register(app, services)
    uploads.register(app, services)
