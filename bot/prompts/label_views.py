"""Block Kit for labels and model settings: promotions, moving a label back, settings changes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.prompts.labels import LabelMove
from bot.prompts.model_settings import ModelSettings
from bot.prompts.versions import VersionChange
from bot.slack.blocks import Message, mrkdwn_context, mrkdwn_section, plain_text

MOVE_BACK_ACTION = "alignbot_label_back"


def labels_line(labels: Mapping[str, int]) -> str:
    """``production`` v3 · ``staging`` v4; empty when there are none."""
    return " · ".join(f"`{label}` v{version}" for label, version in sorted(labels.items()))


def move_back_value(move: LabelMove, prompt_id: str | None) -> str:
    """What the button carries: enough to move the label back, and to see if it moved since."""
    return json.dumps(
        {
            "name": move.name,
            "label": move.label,
            "from": move.after,
            "to": move.before,
            "id": prompt_id,
        }
    )


def read_move_back(value: str) -> dict[str, Any] | None:
    """The button's value read back; None when it is not one this module wrote."""
    try:
        found = json.loads(value)
    except ValueError:
        return None
    if not isinstance(found, dict) or not {"name", "label", "from", "to"} <= found.keys():
        return None
    versions_ok = all(
        found[end] is None or (isinstance(found[end], int) and not isinstance(found[end], bool))
        for end in ("from", "to")
    )
    return found if versions_ok else None


def _where(version: int | None) -> str:
    return f"version {version}" if version is not None else "no version"


def label_moved_message(move: LabelMove, user: str, prompt_id: str | None, back: bool) -> Message:
    """The channel's notice of a label move, with a button that moves it back."""
    verb = "moved back" if back else "promoted"
    if move.after is None:
        was = _where(move.before)
        head = f":label: <@{user}> took `{move.label}` off *`{move.name}`* (it was on {was})."
    else:
        was = f" (was {_where(move.before)})" if move.before is not None else ""
        head = (
            f":label: <@{user}> {verb} *`{move.name}`* version {move.after} to "
            f"`{move.label}`{was}. Applications fetching `{move.label}` get it from now on."
        )
    undo = (
        f"Move `{move.label}` back to version {move.before}"
        if move.before is not None
        else f"Take `{move.label}` off again"
    )
    button = {
        "type": "button",
        "text": plain_text(undo.replace("`", "")[:75]),
        "action_id": MOVE_BACK_ACTION,
        "value": move_back_value(move, prompt_id),
    }
    return Message(
        text=f"{move.name}: {move.label} is on {_where(move.after)}",
        blocks=[mrkdwn_section(head), {"type": "actions", "elements": [button]}],
    )


def already_there(name: str, label: str, version: int) -> Message:
    return Message(
        text=f"{label} is on version {version} already",
        blocks=[
            mrkdwn_section(
                f"`{label}` of `{name}` is on version {version} already; nothing changed."
            )
        ],
    )


def settings_message(name: str, version: int, settings: ModelSettings, defaults: str) -> Message:
    """``/align config NAME`` without settings: what the current version runs with."""
    return Message(
        text=f"Model settings of {name}",
        blocks=[
            mrkdwn_section(
                f"*Model settings of `{name}`* (version {version}): {settings.describe()}."
            ),
            mrkdwn_context(
                f"Unset ones use the workspace default ({defaults}). Change them with "
                f"`/align config {name} model=openai:llama3.1 temperature=0.2 max_tokens=512`."
            ),
        ],
    )


def configured_message(name: str, change: VersionChange, user: str) -> Message:
    after = change.after
    return Message(
        text=f"{name} is now version {after.version}",
        blocks=[
            mrkdwn_section(
                f":gear: <@{user}> changed the model settings of *`{name}`*: version "
                f"{after.version} (was {change.before.version}) runs with "
                f"{after.settings.describe()}."
            )
        ],
    )
