"""What Slack's client sends when a person uses a shortcut, a menu or a form, built from what the
emulator holds, so a test can only do what the person could do in Slack.

- :func:`message_shortcut`: a message shortcut chosen on a stored message (``message_action``);
  Slack sends the message as the person sees it, without its metadata.
- :func:`overflow_choice`: an option picked from an overflow menu of a stored message
  (``block_actions``); only an option the menu offers can be picked.
- :func:`view_submission`: a modal opened with ``views.open`` submitted (``view_submission``);
  every text input sends what is typed, or else what it was filled in with, and Slack's client
  refuses text longer than the input's ``max_length`` (a forged request can still send it,
  through :func:`submission_payload`).

Each returns the payload; ``SlackSigner.interaction`` signs it and fills in team and app.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping
from typing import Any

_action_ts = itertools.count(1)


def _user(user: str, team: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def _as_seen(message: Mapping[str, Any]) -> dict[str, Any]:
    # Slack leaves message metadata out of interaction payloads.
    return {key: value for key, value in message.items() if key not in ("metadata", "channel")}


def message_shortcut(
    message: Mapping[str, Any],
    callback_id: str,
    user: str,
    team: str,
    response_url: str = "https://hooks.slack.test/actions/T/1/x",
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "action_ts": f"{int(time.time())}.{next(_action_ts):06d}",
        "user": _user(user, team),
        "channel": {"id": message["channel"], "name": "general"},
        "message_ts": message["ts"],
        "message": _as_seen(message),
        "response_url": response_url,
    }


def _elements(message: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in message.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if isinstance(element, dict) and element:
                yield str(block.get("block_id") or ""), element


def overflow_choice(
    message: Mapping[str, Any],
    action_id: str,
    value: str,
    user: str,
    team: str,
    response_url: str = "https://hooks.slack.test/actions/T/1/x",
) -> dict[str, Any]:
    """The block action of picking ``value`` from the overflow menu ``action_id``."""
    for block_id, element in _elements(message):
        if element.get("type") != "overflow" or element.get("action_id") != action_id:
            continue
        option = next((o for o in element.get("options", []) if o.get("value") == value), None)
        if option is None:
            raise AssertionError(f"the menu {action_id!r} offers no option {value!r}")
        return {
            "type": "block_actions",
            "user": _user(user, team),
            "channel": {"id": message["channel"], "name": "general"},
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
                "is_ephemeral": False,
            },
            "message": _as_seen(message),
            "response_url": response_url,
            "actions": [
                {
                    "type": "overflow",
                    "action_id": action_id,
                    "block_id": block_id,
                    "selected_option": option,
                    "action_ts": f"{int(time.time())}.{next(_action_ts):06d}",
                }
            ],
        }
    raise AssertionError(f"the message has no overflow menu {action_id!r}")


def _text_inputs(view: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") == "plain_text_input":
            yield str(block["block_id"]), element


def submission_payload(
    view: Mapping[str, Any], values: Mapping[str, str], user: str, team: str
) -> dict[str, Any]:
    """A ``view_submission`` of ``view`` with ``values`` by block id, unchecked."""
    state: dict[str, Any] = {}
    for block_id, element in _text_inputs(view):
        value = values.get(block_id, element.get("initial_value"))
        state[block_id] = {element["action_id"]: {"type": "plain_text_input", "value": value}}
    return {
        "type": "view_submission",
        "user": _user(user, team),
        "view": {**view, "state": {"values": state}},
    }


def view_submission(
    view: Mapping[str, Any], values: Mapping[str, str], user: str, team: str
) -> dict[str, Any]:
    """Submitting ``view`` as Slack's client would: text over ``max_length`` cannot be sent."""
    inputs = dict(_text_inputs(view))
    for block_id, value in values.items():
        if block_id not in inputs:
            raise AssertionError(f"the form has no text input {block_id!r}")
        limit = inputs[block_id].get("max_length")
        if limit is not None and len(value) > limit:
            raise AssertionError(f"Slack's client takes at most {limit} characters in {block_id}")
    return submission_payload(view, values, user, team)
