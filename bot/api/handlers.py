"""`/align apikey create | list | revoke`: a workspace's keys to the prompt API.

A new key is shown only to the person who made it, privately, and never again. Creating and
revoking are limited to admins when ``ALIGN_ADMINS`` is set (a key reads every prompt of the
workspace); revoking is announced in the channel, so the team knows an application lost access.
"""

from __future__ import annotations

from bot.api import views
from bot.api.keys import AUDIT_SUBJECT, ApiKeyError, ApiKeyStore
from bot.commands.prompts import ApiKeyCommand
from bot.prompts.permissions import announce, permitted
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin


def manage_keys(services: Services, origin: Origin, command: ApiKeyCommand) -> None:
    store = ApiKeyStore(services.redis, origin.workspace)
    if command.action == "list":
        origin.reply_private(views.key_list(store.records()))
        return
    assert command.name is not None
    if not permitted(services, origin, "apikey", AUDIT_SUBJECT):
        return
    try:
        if command.action == "create":
            record, secret = store.create(command.name, origin.user)
            origin.reply_private(views.key_created(record, secret))
            return
        revoked = store.revoke(command.name, origin.user)
    except ApiKeyError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    announce(origin, views.key_revoked(revoked, origin.user))
