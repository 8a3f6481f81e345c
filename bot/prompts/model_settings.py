"""The model settings a prompt version may carry: which model runs it, its temperature and length.

A setting left unset (None) falls back to the workspace's default (``ALIGN_MODEL``, the run
temperature of the library, no length cap). ``/align config NAME model=... temperature=...``
writes a new version whose settings are the current ones with the given ones replaced; the
word ``default`` clears one. Values are checked here, once, for the command and for anything
read back from Redis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from alignment.model_helper import spec_problem

MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 2.0
MIN_MAX_TOKENS = 1
# Generous for any answer a prompt in Slack produces; far past this a model refuses anyway.
MAX_MAX_TOKENS = 65_536
MAX_SPEC_CHARS = 120
SETTING_NAMES = ("model", "temperature", "max_tokens")
# Typed to clear a setting, so the version runs with the workspace default again.
DEFAULT_WORD = "default"


class ModelSettingsError(ValueError):
    """A setting is unknown or out of range; the message says which and what is allowed."""


@dataclass(frozen=True)
class ModelSettings:
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None

    @property
    def empty(self) -> bool:
        return self.model is None and self.temperature is None and self.max_tokens is None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any] | None) -> ModelSettings:
        if not payload:
            return cls()
        temperature = payload.get("temperature")
        max_tokens = payload.get("max_tokens")
        return cls(
            model=str(payload["model"]) if payload.get("model") else None,
            temperature=float(temperature) if temperature is not None else None,
            max_tokens=int(max_tokens) if max_tokens is not None else None,
        )

    def describe(self) -> str:
        """``model openai:llama3.1, temperature 0.2``; the defaults named as such."""
        temperature = _number(self.temperature) if self.temperature is not None else "default"
        parts = [
            f"model {self.model or 'default'}",
            f"temperature {temperature}",
            f"max_tokens {self.max_tokens if self.max_tokens is not None else 'default'}",
        ]
        return ", ".join(parts)


def _number(value: float) -> str:
    return f"{value:g}"


def _model(value: str) -> str:
    if len(value) > MAX_SPEC_CHARS:
        raise ModelSettingsError(f"`model` is {len(value)} characters; {MAX_SPEC_CHARS} at most.")
    if problem := spec_problem(value):
        raise ModelSettingsError(f"`model={value}`: {problem}.")
    return value


def _temperature(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not MIN_TEMPERATURE <= number <= MAX_TEMPERATURE:  # NaN fails too
        raise ModelSettingsError(
            f"`temperature={value}` is not a number from {_number(MIN_TEMPERATURE)} to "
            f"{_number(MAX_TEMPERATURE)}, e.g. `temperature=0.2`."
        )
    return number


def _max_tokens(value: str) -> int:
    if not value.isdigit() or not MIN_MAX_TOKENS <= int(value) <= MAX_MAX_TOKENS:
        raise ModelSettingsError(
            f"`max_tokens={value}` is not a whole number from {MIN_MAX_TOKENS} to "
            f"{MAX_MAX_TOKENS:,}, e.g. `max_tokens=512`."
        )
    return int(value)


def apply_settings(current: ModelSettings, given: Mapping[str, str]) -> ModelSettings:
    """``current`` with the settings in ``given`` (name -> typed value) replaced or cleared."""
    changes: dict[str, Any] = {}
    for name, raw in given.items():
        value = raw.strip()
        if name not in SETTING_NAMES:
            known = ", ".join(f"`{n}`" for n in SETTING_NAMES)
            raise ModelSettingsError(f"`{name}` is not a model setting. Settings: {known}.")
        if value.lower() == DEFAULT_WORD:
            changes[name] = None
        elif name == "model":
            changes[name] = _model(value)
        elif name == "temperature":
            changes[name] = _temperature(value)
        else:
            changes[name] = _max_tokens(value)
    return replace(current, **changes)


# A version without settings of its own: every one is the workspace default.
DEFAULT_SETTINGS = ModelSettings()
