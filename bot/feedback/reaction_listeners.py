"""``reaction_added`` / ``reaction_removed``: ack at once, then offer or withdraw reasons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.feedback.learning import hand_over
from bot.feedback.reacting import reaction_added, reaction_removed, reaction_target
from bot.keys import Workspace
from bot.services import Services
from bot.slack.external import event_is_external
from bot.transport.background import BackgroundWork


def register(app: App, services: Services, work: BackgroundWork) -> None:
    reactions = services.settings.reactions

    def on_added(
        ack: Ack,
        body: dict[str, Any],
        event: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        ack()
        target = reaction_target(event)
        # Cheap checks here, so reactions that are not feedback never take a worker.
        if target is not None and reactions.kind_of(target.reaction) is not None:
            workspace = Workspace.from_context(context)
            external = event_is_external(body, event, context)
            person = (target.channel, target.user, None)
            args = (services, workspace, client, target, external)
            hand_over(work, client, person, "reaction", reaction_added, *args)

    def on_removed(
        ack: Ack, event: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        target = reaction_target(event)
        if target is not None and reactions.kind_of(target.reaction) is not None:
            workspace = Workspace.from_context(context)
            person = (target.channel, target.user, None)
            args = (services, workspace, client, target)
            hand_over(work, client, person, "reaction removed", reaction_removed, *args)

    app.event("reaction_added")(on_added)
    app.event("reaction_removed")(on_removed)
