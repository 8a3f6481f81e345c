"""The Slack app manifest as data, so ``alignbot manifest`` works from an installed package.

``pip install .`` ships the ``bot`` package but not the repository's top-level ``manifest.yml``
(the file people read and paste into Slack). The manifest therefore lives here too, and a test
keeps the two equal, so neither can change alone. Shortcuts are the one part given by the
features (the answers' feedback actions, ``bot.feedback.actions``), so the list of them has
one home.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

_BOT_SCOPES = [
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "im:history",
    "mpim:history",
    "reactions:read",
]

_BOT_EVENTS = [
    "app_home_opened",
    "app_mention",
    "file_shared",
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "reaction_added",
    "reaction_removed",
]

_MANIFEST: dict[str, Any] = {
    "display_information": {
        "name": "alignbot",
        "description": (
            "Shape an LLM prompt together by reacting and replying; train labelers from CSVs."
        ),
        "background_color": "#2f4858",
    },
    "features": {
        "app_home": {
            "home_tab_enabled": True,
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": False,
        },
        "bot_user": {"display_name": "alignbot", "always_online": True},
        "slash_commands": [
            {
                "command": "/align",
                "description": (
                    "Run, give feedback on, apply and roll back prompts; train labelers"
                ),
                "usage_hint": (
                    "help | run <prompt> var=value ... | apply <prompt> | history <prompt>"
                ),
                "should_escape": False,
            }
        ],
    },
    "oauth_config": {"scopes": {"bot": _BOT_SCOPES}},
    "settings": {
        "event_subscriptions": {"bot_events": _BOT_EVENTS},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": True,
        "token_rotation_enabled": False,
    },
}


def app_manifest(shortcuts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The Socket Mode manifest; a fresh copy each call, so callers may change it freely.

    ``shortcuts`` are the app's shortcuts, declared by the features that handle them (the
    product's come from ``bot.app.product_manifest``); Slack wants the list left out when empty.
    """
    manifest = copy.deepcopy(_MANIFEST)
    if shortcuts:
        manifest["features"]["shortcuts"] = [dict(shortcut) for shortcut in shortcuts]
    return manifest
