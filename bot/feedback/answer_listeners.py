"""Message shortcuts and the answers' "Feedback" menu: ack, find the answer, start the action.

Both offer the entries of ``bot.feedback.actions.ANSWER_ACTIONS`` (and an action's former
button under older answers starts it as the menu does). A shortcut can be chosen on
any message, so the message is looked up first; a message that is not one of the bot's answers
gets a private explanation of what the actions work on. Finding the answer is two Redis reads,
done in the listener right after the ack, because a form must open within the three seconds a
trigger id lives. The feedback form's submission is checked before its ack (an error shows
under the field) and applied in the background pool, like every other piece of feedback.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import redis
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.feedback.actions import ANSWER_ACTIONS, MENU_ACTION, AnswerAction
from bot.feedback.answer_forms import (
    FORM_BLOCK,
    FORM_CALLBACK,
    submit_feedback,
    submitted_text,
    text_problem,
)
from bot.feedback.answer_request import AnswerRequest, ChosenMessage, find_answer
from bot.feedback.learning import hand_over
from bot.keys import Workspace
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.external import interaction_is_external
from bot.slack.origin import Origin
from bot.transport.background import BackgroundWork

log = logging.getLogger(__name__)

STORAGE_DOWN = "I could not reach my storage to find that answer; nothing changed. Try again."
STALE_CHOICE = "That choice is no longer offered; pick one from a newer answer's *Feedback* menu."


def _origin(
    body: dict[str, Any], context: BoltContext, client: WebClient, channel: str, thread: Any
) -> Origin:
    return Origin(
        workspace=Workspace.from_context(context),
        user=str(body["user"]["id"]),
        channel=channel,
        client=client,
        thread_ts=str(thread) if thread else None,
        trigger_id=body.get("trigger_id"),
        response_url=body.get("response_url"),
        external=interaction_is_external(body, context),
    )


def _posted_by_bot(message: dict[str, Any], context: BoltContext) -> bool:
    bot_id, bot_user = context.get("bot_id"), context.get("bot_user_id")
    return bool(
        (bot_id and message.get("bot_id") == bot_id)
        or (bot_user and message.get("user") == bot_user)
    )


def register(app: App, services: Services, work: BackgroundWork) -> None:
    labels = ANSWER_ACTIONS.labels()

    def begin(action: AnswerAction, origin: Origin, chosen: ChosenMessage) -> None:
        try:
            found = find_answer(services, origin.workspace, chosen, labels, origin.external)
        except redis.RedisError as error:
            log.warning("could not look up the answer for %s: %s", action.name, error)
            origin.reply_private(block_kit.error(STORAGE_DOWN))
            return
        if isinstance(found, str):
            origin.reply_private(block_kit.error(found))
            return
        if origin.thread_ts is None:
            origin = dataclasses.replace(origin, thread_ts=found.run.thread_ts)
        action.start(AnswerRequest(services, work, origin, found, chosen.ts))

    def on_shortcut(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        action = ANSWER_ACTIONS.by_callback_id(str(body.get("callback_id") or ""))
        message = dict(body.get("message") or {})
        channel = str((body.get("channel") or {}).get("id") or "")
        ts = str(message.get("ts") or body.get("message_ts") or "")
        if action is None or not (channel and ts):
            return
        origin = _origin(body, context, client, channel, message.get("thread_ts"))
        begin(action, origin, ChosenMessage(channel, ts, _posted_by_bot(message, context)))

    def chosen_on_answer(
        body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> tuple[Origin, ChosenMessage] | None:
        """Who chose, and on which answer, from a menu or button on the answer itself."""
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        ts = str(container.get("message_ts") or "")
        if not (channel and ts):
            return None
        message = dict(body.get("message") or {})
        origin = _origin(body, context, client, channel, message.get("thread_ts"))
        return origin, ChosenMessage(channel, ts, by_the_bot=True)

    def on_menu(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        found = chosen_on_answer(body, context, client)
        if found is None:
            return
        origin, chosen = found
        picked = (body["actions"][0].get("selected_option") or {}).get("value")
        action = ANSWER_ACTIONS.get(str(picked or ""))
        if action is None:
            origin.reply_private(block_kit.error(STALE_CHOICE))
            return
        begin(action, origin, chosen)

    def on_form(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        view = body["view"]
        problem = text_problem(view)
        if problem is not None:
            ack(response_action="errors", errors={FORM_BLOCK: problem})
            return
        ack()
        user = str(body["user"]["id"])
        workspace = Workspace.from_context(context)
        token = str(view.get("private_metadata") or "")
        external = interaction_is_external(body, context)
        args = (services, workspace, client, token, user, submitted_text(view), external)
        hand_over(work, client, (user, user, None), "feedback form", submit_feedback, *args)

    for action in ANSWER_ACTIONS:
        app.shortcut({"type": "message_action", "callback_id": action.callback_id})(on_shortcut)
    app.action(MENU_ACTION)(on_menu)
    app.view(FORM_CALLBACK)(on_form)
