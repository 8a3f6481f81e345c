"""The buttons of `/align delete` (confirm, cancel) and of a deleted prompt's history (restore)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.keys import Workspace
from bot.prompts import history_views as version_views
from bot.prompts.deletion import delete_prompt
from bot.prompts.permissions import announce, permitted
from bot.prompts.store import UnknownPromptError
from bot.prompts.version_commands import restore
from bot.services import Services
from bot.slack.external import interaction_is_external
from bot.slack.origin import Origin


def origin_of(body: dict[str, Any], context: BoltContext, client: WebClient) -> Origin:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    user = str(body["user"]["id"])
    return Origin(
        workspace=Workspace.from_context(context),
        user=user,
        channel=str(channel or user),
        client=client,
        response_url=body.get("response_url"),
        external=interaction_is_external(body, context),
    )


def register(app: App, services: Services) -> None:
    def confirm_delete(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        ack()
        origin = origin_of(body, context, client)
        name = str(body["actions"][0]["value"])
        if not permitted(services, origin, "delete", name):
            return
        try:
            delete_prompt(services.redis, origin.workspace, name, origin.user)
        except UnknownPromptError:
            respond(replace_original=True, text=f"`{name}` is already gone; nothing was deleted.")
            return
        respond(replace_original=True, text=f"Deleted `{name}`.")
        announce(origin, version_views.deleted_message(name, origin.user))

    def cancel_delete(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        name = str(body["actions"][0]["value"])
        respond(replace_original=True, text=f"`{name}` was not deleted.")

    def restore_click(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        restore(services, origin_of(body, context, client), str(body["actions"][0]["value"]))

    app.action(version_views.DELETE_CONFIRM_ACTION)(confirm_delete)
    app.action(version_views.DELETE_CANCEL_ACTION)(cancel_delete)
    app.action(version_views.RESTORE_ACTION)(restore_click)
