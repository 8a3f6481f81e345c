"""Replies in a thread: ack at once, then read them as feedback (or leave them be).

Registered after the command listeners, so a reply that is a command (``@alignbot run ...``)
reaches those. Only people's text replies are taken; file shares in threads are left for the
listeners that read uploads.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.feedback.learning import hand_over
from bot.feedback.replies import handle_reply, thread_reply
from bot.keys import Workspace
from bot.services import Services
from bot.slack.external import event_is_external
from bot.transport.background import BackgroundWork

REPLY_SUBTYPES = frozenset({None, "thread_broadcast"})


def is_thread_reply(event: dict[str, Any]) -> bool:
    return event.get("subtype") in REPLY_SUBTYPES and thread_reply(event) is not None


def register(app: App, services: Services, work: BackgroundWork) -> None:
    def on_message(
        ack: Ack,
        body: dict[str, Any],
        event: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        ack()
        reply = thread_reply(event)
        if reply is not None:
            workspace = Workspace.from_context(context)
            external = event_is_external(body, event, context)
            person = (reply.channel, reply.user, reply.thread_ts)
            args = (services, workspace, client, reply, external)
            hand_over(work, client, person, "thread reply", handle_reply, *args)

    app.event("message", matchers=[is_thread_reply])(on_message)
