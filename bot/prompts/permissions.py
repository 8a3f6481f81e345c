"""Checking ``ALIGN_ADMINS`` before a change, and telling the channel about a change.

Shared by the prompt commands, the edit form and the labeler commands, so that a refusal reads
and is audited the same whichever way the change was asked for.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.admins import AdminPolicy
from bot.prompts.audit import AuditLog
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Message
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.origin import Origin

log = logging.getLogger(__name__)


def admin_policy(services: Services) -> AdminPolicy:
    return AdminPolicy(services.settings.admins)


def permitted(
    services: Services, origin: Origin, action: str, name: str, owner: str | None = None
) -> bool:
    """True when ``origin.user`` may ``action``; otherwise says who may, and audits the try."""
    if not external_allowed(services, origin):
        return False
    policy = admin_policy(services)
    if policy.allows(origin.user, action, owner):
        return True
    AuditLog(services.redis, origin.workspace).record(
        origin.user, f"{action}-refused", name, "not an admin"
    )
    origin.reply_private(block_kit.error(policy.refusal(action)))
    return False


def external_allowed(services: Services, origin: Origin) -> bool:
    """False (having told them why) for people from another organization, unless allowed."""
    if not origin.external or services.settings.allow_external_users:
        return True
    origin.reply_private(block_kit.error(EXTERNAL_REFUSAL))
    return False


def announce(origin: Origin, message: Message) -> None:
    """Tell the channel (or thread) the command came from; privately if the bot cannot."""
    try:
        origin.client.chat_postMessage(
            channel=origin.channel, thread_ts=origin.thread_ts, **message.as_kwargs()
        )
    except SlackApiError as error:
        log.info("could not announce in %s: %s", origin.channel, error.response.get("error"))
        origin.reply_private(message)
