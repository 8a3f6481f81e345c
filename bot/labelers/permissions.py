"""Who may administer a labeler, and where its accuracy notices may be pointed.

Anyone may start a new labeler; retraining one that exists and changing its notifications are
admin-only with ``ALIGN_ADMINS`` set, and a training run may be cancelled by the person who
started it or an admin. Notices may go only to the channel the request came from or to a channel
the requester is in (admins anywhere), so nobody can post the bot into a private channel they
do not belong to.
"""

from __future__ import annotations

from bot.admins import AdminPolicy
from bot.keys import Workspace
from bot.labelers.store import LabelerStore
from bot.services import Services
from bot.slack.membership import channel_id, is_member


def policy_of(services: Services) -> AdminPolicy:
    return AdminPolicy(services.settings.admins)


def retrain_refusal(services: Services, workspace: Workspace, name: str, user: str) -> str | None:
    """Why ``user`` may not train ``name`` now, or None: only an existing labeler is guarded."""
    policy = policy_of(services)
    if policy.allows(user, "retrain") or not LabelerStore(services.redis, workspace).exists(name):
        return None
    return policy.refusal("retrain")


def notify_channel_refusal(
    services: Services, workspace: Workspace, user: str, channel: str | None, asked_in: str
) -> str | None:
    """Why notices may not go to ``channel`` at ``user``'s request, or None when they may."""
    if channel is None or channel == asked_in:
        return None  # the channel the person is talking in is theirs to use
    policy = policy_of(services)
    if policy.is_admin(user):
        return None
    client = services.slack_for(workspace)
    found = channel_id(client, channel)
    if found is not None and (found == asked_in or is_member(client, found, user)):
        return None
    shown = channel if channel.startswith("#") else f"<#{channel}>"
    admins = " An admin can choose any channel." if policy.restricted else ""
    return (
        f"Accuracy notices can go only to a channel you are in, and I could not see you in "
        f"{shown}. Join it, or pick a channel you are in.{admins}"
    )
