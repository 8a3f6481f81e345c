"""The App Home tab: the workspace's prompts with version, labels, principles and last change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis
from slack_sdk import WebClient

from bot.keys import Workspace
from bot.labelers.store import LabelerStore
from bot.labelers.views import home_blocks
from bot.prompts.label_views import labels_line
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore, PromptStoreError
from bot.prompts.version_log import latest_note
from bot.slack.blocks import Block, markdown_preview

# A Home tab holds at most 100 blocks; two per prompt plus the header.
MAX_PROMPTS_SHOWN = 45
HOME_TAB_BLOCK_LIMIT = 100


@dataclass(frozen=True)
class PromptOverview:
    name: str
    version: int
    principles: int
    changed_by: str
    changed_at: str
    last_change: str
    labels: dict[str, int] = field(default_factory=dict)  # label -> version


def overviews(client: redis.Redis, workspace: Workspace) -> list[PromptOverview]:
    store = PromptStore(client, workspace)
    labels = LabelStore(client, workspace)
    found = []
    for name in store.names():
        try:
            versions = store.versions(name)
            current = store.current(name)
        except PromptStoreError:
            continue  # deleted between listing and reading
        latest = versions[-1]
        note = latest_note(client, workspace, name)
        if note is not None and note.version == latest.version:
            what = note.summary
        elif latest.version == 1:
            what = "created the prompt"
        else:
            what = "edited the template"
        found.append(
            PromptOverview(
                name=name,
                version=current.version,
                principles=len(current.prompt.principles),
                changed_by=latest.author,
                changed_at=latest.created_at,
                last_change=what,
                labels=labels.labels(name),
            )
        )
    return found


def home_view(prompts: list[PromptOverview]) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Prompts in this workspace"}}
    ]
    if not prompts:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "No prompts yet. Create one with `/align new NAME TEMPLATE`.",
                },
            }
        )
    for prompt in prompts[:MAX_PROMPTS_SHOWN]:
        count = f"{prompt.principles} principle{'s' if prompt.principles != 1 else ''}"
        tags = f" · {labels_line(prompt.labels)}" if prompt.labels else ""
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*`{prompt.name}`* version {prompt.version} · {count}{tags}",
                },
            }
        )
        # App Home takes no markdown block: the change's Markdown is converted to mrkdwn.
        change = markdown_preview(prompt.last_change, 400)
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Last change {prompt.changed_at} by <@{prompt.changed_by}>: "
                        f"{change}",
                    }
                ],
            }
        )
    if len(prompts) > MAX_PROMPTS_SHOWN:
        more = len(prompts) - MAX_PROMPTS_SHOWN
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {more} more: see `/align list`."}],
            }
        )
    return {"type": "home", "blocks": blocks}


def publish_home(client: redis.Redis, workspace: Workspace, slack: WebClient, user: str) -> None:
    view = home_view(overviews(client, workspace))
    # Labelers share the tab (100 blocks at most) and get the room the prompts leave.
    labelers = LabelerStore(client, workspace).summaries()
    view["blocks"] += home_blocks(labelers, HOME_TAB_BLOCK_LIMIT - len(view["blocks"]))
    slack.views_publish(user_id=user, view=view)
