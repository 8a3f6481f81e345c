"""What the prompt API answers, read from Redis in as few round trips as one request allows.

A prompt's document: its name, the version asked for (the current one, the one a label is on,
or a number), the labels on that version, the template with its variables, the principles, the
version's model settings and when it was saved. The list: each prompt's current version,
labels and last change. Both are plain JSON values; ``bot.api.routes`` serialises them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from bot.keys import Workspace
from bot.prompts.store import NAME_KIND, PromptVersion


class NotFound(Exception):
    """Nothing answers the request; the message names what is missing (prompt, label, version)."""


@dataclass(frozen=True)
class Selector:
    """Which version of a prompt a request asks for: by label, by number, or the current one."""

    label: str | None = None
    version: int | None = None


def _labels(raw: dict[str, str]) -> dict[str, int]:
    return {str(label): int(version) for label, version in sorted(raw.items())}


def prompt_document(record: PromptVersion, labels: dict[str, int]) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "labels": sorted(label for label, version in labels.items() if version == record.version),
        "template": record.template,
        "variables": record.variables,
        "principles": list(record.prompt.principles),
        "model_settings": record.settings.to_dict(),
        "updated_at": record.created_at,
    }


def read_prompt(
    client: redis.Redis, workspace: Workspace, name: str, wanted: Selector
) -> dict[str, Any]:
    """The document of the version of ``name`` that ``wanted`` selects; NotFound otherwise."""
    keys = workspace.keys
    pipe = client.pipeline(transaction=False)
    pipe.hget(keys.names(), name)
    pipe.hget(keys.prompt(name), "current_version")
    pipe.hgetall(keys.prompt_labels(name))
    kind, current, raw_labels = pipe.execute()
    if kind != NAME_KIND:
        raise NotFound(f"There is no prompt named '{name}' in this workspace.")
    labels = _labels(raw_labels)
    if wanted.label is not None:
        if wanted.label not in labels:
            raise NotFound(f"Prompt '{name}' has no label '{wanted.label}'.")
        number = labels[wanted.label]
    elif wanted.version is not None:
        number = wanted.version
    else:
        number = int(current) if current is not None else -1
    raw = client.lindex(keys.prompt_versions(name), number - 1 if number > 0 else -1)
    if raw is None:
        raise NotFound(f"Prompt '{name}' has no version {number}.")
    record = PromptVersion.from_dict(json.loads(str(raw)))
    return prompt_document(record, labels)


def list_prompts(client: redis.Redis, workspace: Workspace) -> dict[str, Any]:
    keys = workspace.keys
    names = sorted(
        str(name) for name, kind in client.hgetall(keys.names()).items() if kind == NAME_KIND
    )
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.prompt(name))
        pipe.hgetall(keys.prompt_labels(name))
    answers = pipe.execute()
    prompts = []
    for index, name in enumerate(names):
        meta, raw_labels = answers[2 * index], answers[2 * index + 1]
        if not meta:
            continue  # deleted between the two reads
        prompts.append(
            {
                "name": name,
                "version": int(meta.get("current_version", 1)),
                "labels": _labels(raw_labels),
                "updated_at": str(meta.get("updated_at", "")),
            }
        )
    return {"prompts": prompts}
