"""What the prompt API answers, read from Redis in as few round trips as one request allows.

A prompt's document: its name, the version asked for (the current one, the one a label is on,
or a number), the labels on that version, the template with its variables, the principles, the
version's model settings and when it was saved. The list: each prompt's current version,
labels and last change. Both are plain JSON values; ``bot.api.routes`` serialises them.

A prompt is read by one Lua script that also checks the request's key still exists and counts
the request against the key's limit: one round trip per request, and a label and the version
it points at are read together, never one from before a move and the other from after it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import redis

from bot.api.keys import KeyOwner
from bot.budgets import COUNT_REQUEST_LUA, RequestWindow
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


# KEYS: the workspace's API keys, the key's request counter, then the prompt's names, meta,
# labels and versions. ARGV: limit, window (ms), name, the prompt kind, label or "", version or
# "", the key's name, its hash. The key counts only while its workspace's own record of it
# holds its hash: revoked, or removed with an uninstalled workspace's data, it is refused.
# Returns {outcome, labels as a flat list or the wait in ms, the version's JSON or its number}.
_READ = (
    COUNT_REQUEST_LUA
    + """
local record = redis.call('HGET', KEYS[1], ARGV[7])
if not record or not string.find(record, ARGV[8], 1, true) then return {'no-key', {}, ''} end
local wait = count_request(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
if wait > 0 then return {'limited', wait, ''} end
if redis.call('HGET', KEYS[3], ARGV[3]) ~= ARGV[4] then return {'no-prompt', {}, ''} end
local labels = redis.call('HGETALL', KEYS[5])
local number
if ARGV[5] ~= '' then
  number = redis.call('HGET', KEYS[5], ARGV[5])
  if not number then return {'no-label', labels, ''} end
elseif ARGV[6] ~= '' then
  number = ARGV[6]
else
  number = redis.call('HGET', KEYS[4], 'current_version') or '0'
end
local index = tonumber(number) - 1
if index < 0 then index = -1 end
local raw = redis.call('LINDEX', KEYS[6], index)
if not raw then return {'no-version', labels, number} end
return {'ok', labels, raw}
"""
)


class KeyGone(Exception):
    """The request's key was revoked since this process looked it up."""


class OverLimit(Exception):
    def __init__(self, wait_seconds: float) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


@functools.lru_cache(maxsize=256)
def _parsed(raw: str) -> PromptVersion:
    # Versions never change once written, so the same stored JSON always reads the same; the
    # versions applications poll are few, and parsing is most of a request's own work.
    return PromptVersion.from_dict(json.loads(raw))


class PromptReader:
    """One request's whole visit to Redis, in one script: the key still exists, the request is
    within the key's limit (counted as ``bot.budgets.RequestWindow`` counts), and the version
    asked for with the prompt's labels, read together so a label and its version agree."""

    def __init__(self, client: redis.Redis, window: RequestWindow) -> None:
        self._read = client.register_script(_READ)
        self.window = window

    def read(self, key_hash: str, owner: KeyOwner, name: str, wanted: Selector) -> dict[str, Any]:
        """The document asked for; KeyGone, OverLimit or NotFound otherwise."""
        keys = owner.workspace.keys
        answer = self._read(
            keys=[
                keys.api_keys(),
                keys.api_key_budget(owner.name),
                keys.names(),
                keys.prompt(name),
                keys.prompt_labels(name),
                keys.prompt_versions(name),
            ],
            args=[
                self.window.limit,
                self.window.window_ms,
                name,
                NAME_KIND,
                wanted.label or "",
                wanted.version or "",
                owner.name,
                key_hash,
            ],
        )
        outcome, middle, payload = str(answer[0]), answer[1], answer[2]
        if outcome == "no-key":
            raise KeyGone
        if outcome == "limited":
            raise OverLimit(int(middle) / 1000)
        if outcome == "no-prompt":
            raise NotFound(f"There is no prompt named '{name}' in this workspace.")
        if outcome == "no-label":
            raise NotFound(f"Prompt '{name}' has no label '{wanted.label}'.")
        if outcome == "no-version":
            raise NotFound(f"Prompt '{name}' has no version {payload}.")
        labels = _labels(dict(zip(middle[::2], middle[1::2], strict=True)))
        return prompt_document(_parsed(str(payload)), labels)


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
