"""``app_home_opened``: show the workspace's prompts in the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.home.tab import publish_home
from bot.keys import Workspace
from bot.services import Services
from bot.transport.background import BackgroundWork


def register(app: App, services: Services, work: BackgroundWork) -> None:
    def opened(ack: Ack, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        if event.get("tab", "home") != "home":
            return
        workspace = Workspace.from_context(context)
        work.submit("home", publish_home, services.redis, workspace, client, str(event["user"]))

    app.event("app_home_opened")(opened)
