"""The Slack app manifest: the Socket Mode original in ``manifest.yml``, its HTTP variant, and
the variant for installing into many workspaces (OAuth).

The command prints the copy in :mod:`bot.slack.app_manifest`, which installed packages carry.

Also the facts needed to check it against the code: which event types and commands it
declares, and which scopes each declared event needs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest.yml"

# The bot scope Slack requires before it delivers each event.
EVENT_SCOPES = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "file_shared": "files:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    # OAuth mode: uninstalls and revoked tokens delete the workspace's installation.
    "app_uninstalled": None,
    "tokens_revoked": None,
}
OAUTH_EVENTS = ("app_uninstalled", "tokens_revoked")

# The bot scope each Web API method needs (None: no scope). A method the code calls that is
# missing here fails the manifest test, so a new call cannot ship without its scope.
METHOD_SCOPES: dict[str, str | None] = {
    "auth_test": None,
    "apps_connections_open": None,
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_delete": "chat:write",
    # chat.startStream, appendStream and stopStream, through slack_sdk's helper.
    "chat_stream": "chat:write",
    "chat_getPermalink": None,
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
    "conversations_replies": "channels:history",
    "conversations_history": "channels:history",
    "conversations_info": "channels:read",
    "conversations_members": "channels:read",
    "conversations_list": "channels:read",
    "users_info": "users:read",
    "files_info": "files:read",
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "reactions_get": "reactions:read",
    "reactions_add": "reactions:write",
}
# Name prefixes of WebClient methods, to tell Slack calls from other ``client.x()`` calls.
SLACK_METHOD_PREFIXES = (
    "apps_",
    "auth_",
    "chat_",
    "conversations_",
    "files_",
    "reactions_",
    "users_",
    "views_",
    "pins_",
    "bookmarks_",
    "team_",
    "usergroups_",
)


def scope_problems(manifest: dict[str, Any], methods_called: Iterable[str]) -> list[str]:
    """Web API methods whose scope the manifest lacks, or whose scope is not known here."""
    scopes = declared_scopes(manifest)
    problems = []
    for method in sorted(set(methods_called)):
        if method not in METHOD_SCOPES:
            problems.append(f"method {method!r} has no entry in bot.slack.manifest.METHOD_SCOPES")
        elif (scope := METHOD_SCOPES[method]) and scope not in scopes:
            problems.append(f"method {method!r} needs scope {scope!r}")
    return problems


def unused_scopes(manifest: dict[str, Any], methods_called: Iterable[str]) -> list[str]:
    """Declared scopes that no called method, subscribed event or slash command needs.

    A workspace admin grants every scope the app asks for, so each one must earn its place.
    """
    needed = {METHOD_SCOPES.get(method) for method in methods_called}
    needed |= {EVENT_SCOPES.get(event) for event in declared_bot_events(manifest)}
    if declared_commands(manifest):
        needed.add("commands")
    return sorted(declared_scopes(manifest) - {scope for scope in needed if scope})


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a manifest")
    return loaded


def with_http_endpoints(manifest: dict[str, Any], request_url: str) -> dict[str, Any]:
    """The same app, receiving events, commands and interactivity at ``request_url``."""
    variant = copy.deepcopy(manifest)
    settings = variant.setdefault("settings", {})
    settings["socket_mode_enabled"] = False
    settings.setdefault("event_subscriptions", {})["request_url"] = request_url
    settings.setdefault("interactivity", {"is_enabled": True})["request_url"] = request_url
    for command in variant.get("features", {}).get("slash_commands", []):
        command["url"] = request_url
    return variant


def with_oauth(manifest: dict[str, Any], redirect_url: str) -> dict[str, Any]:
    """The same app installed through Slack's OAuth flow into any number of workspaces (and
    org-wide on Enterprise Grid): installers return to ``redirect_url``, tokens expire and are
    refreshed, and uninstalls are delivered so the bot can delete what it stored."""
    variant = copy.deepcopy(manifest)
    variant.setdefault("oauth_config", {})["redirect_urls"] = [redirect_url]
    settings = variant.setdefault("settings", {})
    settings["token_rotation_enabled"] = True
    settings["org_deploy_enabled"] = True
    events = settings.setdefault("event_subscriptions", {}).setdefault("bot_events", [])
    events.extend(event for event in OAUTH_EVENTS if event not in events)
    return variant


def manifest_yaml(manifest: dict[str, Any]) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)


def declared_bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest.get("settings", {}).get("event_subscriptions", {}).get("bot_events", []))


def declared_event_types(manifest: dict[str, Any]) -> set[str]:
    """Event types as listeners see them: ``message.channels`` and friends are all ``message``."""
    return {name.split(".", 1)[0] for name in declared_bot_events(manifest)}


def declared_commands(manifest: dict[str, Any]) -> set[str]:
    return {c["command"] for c in manifest.get("features", {}).get("slash_commands", [])}


def declared_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest.get("oauth_config", {}).get("scopes", {}).get("bot", []))


def declared_message_shortcuts(manifest: dict[str, Any]) -> set[str]:
    """The callback ids of the manifest's message shortcuts."""
    shortcuts = manifest.get("features", {}).get("shortcuts", [])
    return {s["callback_id"] for s in shortcuts if s.get("type") == "message"}


def interactivity_enabled(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("settings", {}).get("interactivity", {}).get("is_enabled"))


def home_tab_enabled(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("features", {}).get("app_home", {}).get("home_tab_enabled"))


@dataclass
class ListenerInventory:
    """What the code listens to: event types, slash commands, message shortcuts (by callback
    id), and whether any interactivity."""

    event_types: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    message_shortcuts: set[str] = field(default_factory=set)
    interactive: bool = False


def mismatches(manifest: dict[str, Any], listened: ListenerInventory) -> list[str]:
    """Every difference between what the manifest declares and what the code listens to."""
    problems: list[str] = []
    declared = declared_event_types(manifest)
    problems += [
        f"listens to event {t!r} the manifest does not declare"
        for t in sorted(listened.event_types - declared)
    ]
    problems += [
        f"manifest declares event {t!r} no listener handles"
        for t in sorted(declared - listened.event_types)
    ]
    commands = declared_commands(manifest)
    problems += [
        f"listens to command {c!r} the manifest does not declare"
        for c in sorted(listened.commands - commands)
    ]
    problems += [
        f"manifest declares command {c!r} no listener handles"
        for c in sorted(commands - listened.commands)
    ]
    shortcuts = declared_message_shortcuts(manifest)
    problems += [
        f"listens to message shortcut {c!r} the manifest does not declare"
        for c in sorted(listened.message_shortcuts - shortcuts)
    ]
    problems += [
        f"manifest declares message shortcut {c!r} no listener handles"
        for c in sorted(shortcuts - listened.message_shortcuts)
    ]
    if listened.interactive != interactivity_enabled(manifest):
        problems.append(
            f"interactivity is {'on' if interactivity_enabled(manifest) else 'off'} in the "
            f"manifest but the code {'has' if listened.interactive else 'has no'} "
            "action/view/shortcut listeners"
        )
    if ("app_home_opened" in listened.event_types) != home_tab_enabled(manifest):
        problems.append("the App Home tab setting disagrees with the app_home_opened listener")
    problems += [f"event {e!r} needs scope {s!r}" for e, s in _needed_scopes(manifest)]
    return problems


def _needed_scopes(manifest: dict[str, Any]) -> Iterable[tuple[str, str]]:
    scopes = declared_scopes(manifest)
    for event in declared_bot_events(manifest):
        needed = EVENT_SCOPES.get(event)
        if needed and needed not in scopes:
            yield event, needed
