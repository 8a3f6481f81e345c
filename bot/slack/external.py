"""Is the person behind a request from another organization (a Slack Connect channel)?

Slack says so in what it sends: events carry the person's team (``user_team``, or ``team`` /
``user_profile.team`` on messages) and the envelope says ``is_ext_shared_channel``;
interactivity payloads carry ``user.team_id``. Any of those that differs from the team the bot
is installed in means another organization. In a channel shared with other organizations where
Slack names no team for the person, the bot cannot vouch for them, so it treats them as external
too (failing closed). A slash command's ``team_id`` is the person's own workspace, which already
selects that workspace's own prompts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXTERNAL_SETTING = "ALIGN_ALLOW_EXTERNAL_USERS"

REFUSAL = (
    "You are in another organization than this workspace (a Slack Connect channel), so I do "
    "not apply your feedback or changes to its prompts. An admin of this workspace can allow "
    f"it with `{EXTERNAL_SETTING}=true`."
)


def home_team(context: Mapping[str, Any]) -> str | None:
    """The team the bot is installed in: what ``auth.test`` said, else the request's team."""
    authorized = context.get("authorize_result")
    team = getattr(authorized, "team_id", None) if authorized is not None else None
    return str(team or context.get("team_id") or "") or None


def from_another_org(user_team: object, home: str | None, shared_channel: bool = False) -> bool:
    if isinstance(user_team, str) and user_team and home:
        return user_team != home
    return shared_channel


def event_user_team(event: Mapping[str, Any]) -> object:
    profile = event.get("user_profile")
    profile_team = profile.get("team") if isinstance(profile, Mapping) else None
    return event.get("user_team") or profile_team or event.get("team")


def event_is_external(
    body: Mapping[str, Any], event: Mapping[str, Any], context: Mapping[str, Any]
) -> bool:
    shared = bool(body.get("is_ext_shared_channel"))
    return from_another_org(event_user_team(event), home_team(context), shared)


def interaction_is_external(body: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    user = body.get("user")
    team = user.get("team_id") if isinstance(user, Mapping) else None
    return from_another_org(team, home_team(context))


def command_is_external(body: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    # A slash command's team_id is the person's own workspace, and the bot already keeps each
    # workspace's prompts apart by it (``Workspace.from_context``): a guest's command reaches
    # their own team's prompts, never this one's. Only an explicit ``user_team`` says more.
    return from_another_org(body.get("user_team"), home_team(context))
