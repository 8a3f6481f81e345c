"""A workspace's prompts in Redis: an append-only list of versions per prompt.

Each version holds the library's ``ConstitutionalPrompt`` JSON, so any version can be exported
and loaded back with ``ConstitutionalPrompt.from_dict``. Creating and editing are optimistic
transactions (WATCH/MULTI): two people editing at once both get a version, numbered in order,
and a name cannot be taken twice, by a prompt or by a labeler.
"""

from __future__ import annotations

import difflib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from alignment.errors import TemplateError
from alignment.single_run import ConstitutionalPrompt, template_variables
from bot.keys import Workspace
from bot.prompts.audit import audit_entry
from bot.prompts.model_settings import DEFAULT_SETTINGS, ModelSettings

NAME_KIND = "prompt"
# Long enough for a detailed prompt, short enough to show and export in a few Slack messages.
MAX_TEMPLATE_CHARS = 20_000
# Enough for a person to pick from; prompts further off are not what they meant.
MAX_SUGGESTIONS = 3
# The meta hash field holding a prompt's identity: made at `/align new`, kept by every version
# and moved aside and back with the prompt by delete and restore, so that runs and buttons can
# tell "the prompt I was made for" from a new prompt that took a deleted one's name.
IDENTITY_FIELD = "id"


def new_identity() -> str:
    return uuid.uuid4().hex[:16]


class PromptStoreError(Exception):
    """A prompt operation was refused; the message says why and what to do instead."""


class UnknownPromptError(PromptStoreError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = (
            "Did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"
            if suggestions
            else "See `/align list` for the prompts of this workspace."
        )
        super().__init__(f"There is no prompt named `{name}`. {hint}")


class NameTakenError(PromptStoreError):
    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        fix = (
            f"change it with `/align edit {name} TEMPLATE`"
            if kind == NAME_KIND
            else "pick another name"
        )
        super().__init__(f"A {kind} named `{name}` already exists; {fix}.")


class UnknownVersionError(PromptStoreError):
    pass


class InvalidTemplateError(PromptStoreError):
    pass


@dataclass(frozen=True)
class PromptVersion:
    """One saved version of a prompt."""

    name: str
    version: int
    prompt: ConstitutionalPrompt
    author: str
    created_at: str
    # Which model runs this version, and how; unset ones take the workspace default.
    settings: ModelSettings = DEFAULT_SETTINGS

    @property
    def template(self) -> str:
        return self.prompt.preamble

    @property
    def variables(self) -> list[str]:
        return template_variables(self.prompt.preamble)

    def to_dict(self) -> dict[str, Any]:
        payload = {
            "name": self.name,
            "version": self.version,
            "prompt": self.prompt.to_dict(),
            "author": self.author,
            "created_at": self.created_at,
        }
        if not self.settings.empty:
            payload["model_settings"] = self.settings.to_dict()
        return payload

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> PromptVersion:
        return cls(
            name=str(payload["name"]),
            version=int(payload["version"]),
            prompt=ConstitutionalPrompt.from_dict(payload["prompt"]),
            author=str(payload["author"]),
            created_at=str(payload["created_at"]),
            # Versions saved before model settings existed have none: workspace defaults.
            settings=ModelSettings.from_dict(payload.get("model_settings")),
        )


@dataclass(frozen=True)
class PromptSummary:
    name: str
    current_version: int
    updated_by: str
    updated_at: str
    labels: dict[str, int] = field(default_factory=dict)  # label -> version


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_template(template: str) -> list[str]:
    """The template's variables; InvalidTemplateError, saying how to fix it, if it is unusable."""
    if not template.strip():
        raise InvalidTemplateError("The template is empty. Write the prompt, with `{variables}`.")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise InvalidTemplateError(
            f"The template is {len(template):,} characters long; the limit is "
            f"{MAX_TEMPLATE_CHARS:,}. Shorten it."
        )
    try:
        return template_variables(template)
    except TemplateError as error:
        raise InvalidTemplateError(
            f"The template cannot be used: {error}. Write variables as `{{name}}` (letters, digits "
            "and _), and double a brace (`{{` or `}}`) to show it as text."
        ) from error


def new_prompt(template: str) -> ConstitutionalPrompt:
    """The library's form of a freshly written template; InvalidTemplateError when unusable."""
    check_template(template)
    return ConstitutionalPrompt(preamble=template, original_preamble=template)


class PromptStore:
    """Prompts of one workspace. Every key comes from ``bot.keys`` for that workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def create(self, name: str, template: str, author: str) -> PromptVersion:
        """Save version 1 of a new prompt; NameTakenError if the name is in use."""
        record = PromptVersion(name, 1, new_prompt(template), author, _now())
        identity = new_identity()

        def attempt(pipe: redis.client.Pipeline) -> None:
            taken_by = pipe.hget(self.keys.names(), name)
            if taken_by is not None:
                raise NameTakenError(name, str(taken_by))
            pipe.multi()
            pipe.hset(self.keys.names(), name, NAME_KIND)
            pipe.rpush(self.keys.prompt_versions(name), json.dumps(record.to_dict()))
            pipe.hset(
                self.keys.prompt(name), mapping={**self._meta(record), IDENTITY_FIELD: identity}
            )
            pipe.rpush(self.keys.audit(), audit_entry(author, "create", name, "version 1"))

        self.redis.transaction(attempt, self.keys.names(), self.keys.prompt_versions(name))
        return record

    def edit(self, name: str, template: str, author: str) -> PromptVersion:
        """Append a version with a new template; its principles carry over from the current one."""
        prompt = new_prompt(template)
        versions_key = self.keys.prompt_versions(name)
        saved: list[PromptVersion] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            saved.clear()
            count = int(pipe.llen(versions_key))
            if count == 0:
                raise self._unknown(name)
            current = self._current_in(pipe, name)
            prompt.principles = list(current.prompt.principles)
            # A new template keeps the model settings, as it keeps the principles.
            record = PromptVersion(name, count + 1, prompt, author, _now(), current.settings)
            pipe.multi()
            pipe.rpush(versions_key, json.dumps(record.to_dict()))
            pipe.hset(self.keys.prompt(name), mapping=self._meta(record))
            pipe.rpush(
                self.keys.audit(),
                audit_entry(author, "edit", name, f"version {record.version}: edited the template"),
            )
            saved.append(record)

        self.redis.transaction(attempt, versions_key, self.keys.prompt(name))
        return saved[0]

    def current(self, name: str) -> PromptVersion:
        """The version runs use now; UnknownPromptError (with near names) if there is none."""
        return self._current_in(self.redis, name)

    def version(self, name: str, number: int) -> PromptVersion:
        if number < 1:
            raise UnknownVersionError(f"`{name}` has no version {number}.")
        raw = self.redis.lindex(self.keys.prompt_versions(name), number - 1)
        if raw is None:
            if not self.exists(name):
                raise self._unknown(name)
            raise UnknownVersionError(f"`{name}` has no version {number}.")
        return PromptVersion.from_dict(json.loads(str(raw)))

    def versions(self, name: str) -> list[PromptVersion]:
        raw_versions = self.redis.lrange(self.keys.prompt_versions(name), 0, -1)
        if not raw_versions:
            raise self._unknown(name)
        return [PromptVersion.from_dict(json.loads(str(raw))) for raw in raw_versions]

    def identity(self, name: str) -> str | None:
        """The identity of the prompt named ``name`` now; None when there is no such prompt.

        Prompts saved before identities existed get one on first read (HSETNX, so concurrent
        readers agree). Runs and buttons made before then carry none and match any identity:
        they can only be about the prompt that held the name when they were made, which is the
        one being given an identity here unless it was deleted in between, and that case
        predates this check.
        """
        meta_key = self.keys.prompt(name)
        found = self.redis.hget(meta_key, IDENTITY_FIELD)
        if found is not None:
            return str(found)
        if not self.exists(name):
            return None
        self.redis.hsetnx(meta_key, IDENTITY_FIELD, new_identity())
        found = self.redis.hget(meta_key, IDENTITY_FIELD)
        return str(found) if found is not None else None

    def is_same_prompt(self, name: str, identity: str | None) -> bool:
        """Is ``identity`` (from a run or a button) the prompt named ``name`` now?"""
        current = self.identity(name)
        if current is None:
            return False
        return identity is None or identity == current

    def exists(self, name: str) -> bool:
        return self.redis.hget(self.keys.names(), name) == NAME_KIND

    def names(self) -> list[str]:
        entries = self.redis.hgetall(self.keys.names())
        return sorted(str(name) for name, kind in entries.items() if kind == NAME_KIND)

    def summaries(self) -> list[PromptSummary]:
        names = self.names()
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(self.keys.prompt(name))
            pipe.hgetall(self.keys.prompt_labels(name))
        answers = pipe.execute()
        summaries = []
        for name, meta, labels in zip(names, answers[::2], answers[1::2], strict=True):
            summaries.append(
                PromptSummary(
                    name=name,
                    current_version=int(meta.get("current_version", 1)),
                    updated_by=str(meta.get("updated_by", "")),
                    updated_at=str(meta.get("updated_at", "")),
                    labels={str(k): int(v) for k, v in sorted(labels.items())},
                )
            )
        return summaries

    def suggestions(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, self.names(), n=MAX_SUGGESTIONS, cutoff=0.5)

    def _unknown(self, name: str) -> UnknownPromptError:
        return UnknownPromptError(name, self.suggestions(name))

    def _current_in(self, client: redis.Redis | redis.client.Pipeline, name: str) -> PromptVersion:
        # The meta hash names the current version, so a later rollback only has to move it.
        number = client.hget(self.keys.prompt(name), "current_version")
        index = int(number) - 1 if number is not None else -1
        raw = client.lindex(self.keys.prompt_versions(name), index)
        if raw is None:
            raise self._unknown(name)
        return PromptVersion.from_dict(json.loads(str(raw)))

    @staticmethod
    def _meta(record: PromptVersion) -> dict[FieldT, EncodableT]:
        return {
            "current_version": str(record.version),
            "updated_by": record.author,
            "updated_at": record.created_at,
        }
