"""Buttons under suggested reasons and change messages, and the "write my own" form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.feedback import views as feedback_views
from bot.feedback.choices import owner_check, split_choice, undo, use_reason
from bot.feedback.learning import hand_over
from bot.feedback.offers import OfferBook
from bot.keys import Workspace
from bot.services import Services
from bot.slack.external import interaction_is_external
from bot.transport.background import BackgroundWork


def _action_value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value") or "")


def _person(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """Where to tell the clicker something privately: the channel of the click, if any."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel or body["user"]["id"]), str(body["user"]["id"]), None


def register(app: App, services: Services, work: BackgroundWork) -> None:
    def choose(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        token, number = split_choice(_action_value(body))
        workspace = Workspace.from_context(context)
        user = str(body["user"]["id"])
        args = (services, workspace, client, token, user, None, number)
        hand_over(work, client, _person(body), "reason", use_reason, *args)

    def write_own(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        token = _action_value(body)
        offer = OfferBook(services.redis, Workspace.from_context(context)).peek(token)
        if offer is None or not owner_check(client, offer, str(body["user"]["id"])):
            return
        # Opened here, not in a worker: the trigger id expires three seconds after the click.
        client.views_open(
            trigger_id=body["trigger_id"], view=feedback_views.own_reason_modal(offer.kind, token)
        )

    def submit_own(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        values = body["view"]["state"]["values"]
        field = values.get(feedback_views.OWN_REASON_BLOCK, {})
        reason = str((field.get(feedback_views.OWN_REASON_INPUT) or {}).get("value") or "").strip()
        if not reason:
            ack(
                response_action="errors",
                errors={feedback_views.OWN_REASON_BLOCK: "Write a reason."},
            )
            return
        ack()
        token = str(body["view"].get("private_metadata") or "")
        workspace = Workspace.from_context(context)
        user = str(body["user"]["id"])
        args = (services, workspace, client, token, user, reason)
        hand_over(work, client, _person(body), "own reason", use_reason, *args)

    def undo_click(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        workspace = Workspace.from_context(context)
        message = dict(body.get("message") or {})
        channel = str((body.get("channel") or {}).get("id") or body["container"]["channel_id"])
        user = str(body["user"]["id"])
        value = _action_value(body)
        external = interaction_is_external(body, context)
        args = (services, workspace, client, value, user, message, channel, external)
        hand_over(work, client, _person(body), "undo", undo, *args)

    app.action(feedback_views.CHOOSE_REASON_ACTION)(choose)
    app.action(feedback_views.OWN_REASON_ACTION)(write_own)
    app.view(feedback_views.OWN_REASON_CALLBACK)(submit_own)
    app.action(feedback_views.UNDO_ACTION)(undo_click)
