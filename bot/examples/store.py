"""A prompt's saved examples in Redis, checked against the prompt's variables before they are kept.

An example is the variable values of one input, and optionally the answer the team would call
ideal. Examples live in one hash per prompt (id -> JSON), ids are ``e1``, ``e2``, ... from a
counter that never goes back, so a removed id is never reused for another input. Adding is one
transaction: every example of a request is checked first and either all are kept or none, and
the per-prompt limit holds however many people add at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import redis

from alignment.compare import Example
from bot.keys import Workspace
from bot.prompts.runs import now_iso

# Each example costs four model calls per comparison; 50 keeps a comparison within one
# person's default hourly budget (300 calls).
MAX_EXAMPLES_PER_PROMPT = 50
MAX_VALUE_CHARS = 4_000
MAX_IDEAL_CHARS = 8_000
IDEAL_FIELD = "ideal"


class ExampleError(ValueError):
    """An example cannot be kept; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class SavedExample:
    id: str
    values: dict[str, str]
    ideal: str | None
    user: str
    at: str
    source: str  # command, button (Save as example on an answer) or upload

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> SavedExample:
        payload: dict[str, Any] = json.loads(raw)
        return cls(
            id=str(payload["id"]),
            values={str(k): str(v) for k, v in payload["values"].items()},
            ideal=payload.get("ideal") or None,
            user=str(payload.get("user", "")),
            at=str(payload.get("at", "")),
            source=str(payload.get("source", "")),
        )

    def to_library(self) -> Example:
        return Example(dict(self.values), self.ideal, self.id)


@dataclass(frozen=True)
class NewExample:
    values: dict[str, str]
    ideal: str | None = None


def _listed(names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) or "none"


def check_example(
    name: str, variables: Sequence[str], example: NewExample, where: str = ""
) -> None:
    """Raise ExampleError naming unknown or missing variables, or values that are too long."""
    unknown = [key for key in example.values if key not in variables]
    missing = [key for key in variables if not example.values.get(key, "").strip()]
    prefix = f"{where}: " if where else ""
    if unknown:
        raise ExampleError(
            f"{prefix}`{name}` has no variable {_listed(unknown)}. Its variables: "
            f"{_listed(variables)} (and `{IDEAL_FIELD}` for the ideal answer)."
        )
    if missing:
        raise ExampleError(f"{prefix}give a value for {_listed(missing)}.")
    for key, value in example.values.items():
        if len(value) > MAX_VALUE_CHARS:
            raise ExampleError(
                f"{prefix}the value of `{key}` is {len(value):,} characters; the limit is "
                f"{MAX_VALUE_CHARS:,}. Shorten it."
            )
    if example.ideal is not None and len(example.ideal) > MAX_IDEAL_CHARS:
        raise ExampleError(
            f"{prefix}the ideal answer is {len(example.ideal):,} characters; the limit is "
            f"{MAX_IDEAL_CHARS:,}. Shorten it."
        )


class ExampleStore:
    """The examples of one workspace's prompts."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def add(
        self, name: str, examples: Sequence[NewExample], user: str, source: str
    ) -> list[SavedExample]:
        """Keep every example, or none (ExampleError when the prompt's limit would be passed).

        The caller has checked each one with ``check_example``.
        """
        hash_key, next_key = self.keys.prompt_examples(name), self.keys.prompt_examples_next(name)
        saved: list[SavedExample] = []

        def attempt(pipe: redis.client.Pipeline) -> None:
            saved.clear()
            held = int(pipe.hlen(hash_key))
            if held + len(examples) > MAX_EXAMPLES_PER_PROMPT:
                room = MAX_EXAMPLES_PER_PROMPT - held
                raise ExampleError(
                    f"`{name}` holds {held} example{'s' if held != 1 else ''}; a prompt keeps at "
                    f"most {MAX_EXAMPLES_PER_PROMPT}, so {max(room, 0)} more fit and "
                    f"{len(examples)} were given. Remove some with "
                    f"`/align examples {name} remove ID`, or add fewer."
                )
            number = int(pipe.get(next_key) or 0)
            at = now_iso()
            for offset, example in enumerate(examples, 1):
                saved.append(
                    SavedExample(
                        f"e{number + offset}", dict(example.values), example.ideal, user, at, source
                    )
                )
            pipe.multi()
            pipe.set(next_key, str(number + len(examples)))
            if saved:
                pipe.hset(hash_key, mapping={s.id: s.to_json() for s in saved})

        self.redis.transaction(attempt, hash_key, next_key)
        return saved

    def all(self, name: str) -> list[SavedExample]:
        """Every example of ``name``, oldest first."""
        raw = self.redis.hgetall(self.keys.prompt_examples(name))
        found = [SavedExample.from_json(str(value)) for value in raw.values()]
        return sorted(found, key=lambda e: int(e.id[1:]) if e.id[1:].isdigit() else 0)

    def remove(self, name: str, example_id: str) -> bool:
        return bool(self.redis.hdel(self.keys.prompt_examples(name), example_id))

    def count(self, name: str) -> int:
        return int(self.redis.hlen(self.keys.prompt_examples(name)))


def example_from_values(values: Mapping[str, str]) -> NewExample:
    """Split an ``ideal`` value off the variable values."""
    rest = {k: v for k, v in values.items() if k != IDEAL_FIELD}
    ideal = (values.get(IDEAL_FIELD) or "").strip() or None
    return NewExample(rest, ideal)
