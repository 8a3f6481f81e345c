"""The data of a single-run prompt: its description, principles and conversations, as plain JSON.

Field names follow the seed API so that code written against upstream model-alignment keeps
working (``turn.text``, ``turn.is_user``, ``turn.vars``; ``data.preamble``, ``data.principles``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _require(payload: dict[str, Any], key: str, kind: type, what: str) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise ValueError(f"{what}: field {key!r} must be a {kind.__name__}, got {value!r}")
    return value


@dataclass
class ConversationTurn:
    """One message: the filled-in prompt (``is_user``) or a model answer.

    ``vars`` holds the variable values a user turn was rendered from; model turns leave it empty.
    """

    text: str = ""
    is_user: bool = False
    vars: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "is_user": self.is_user, "vars": dict(self.vars)}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ConversationTurn:
        variables = _require(payload, "vars", dict, "conversation turn")
        return cls(
            text=_require(payload, "text", str, "conversation turn"),
            is_user=_require(payload, "is_user", bool, "conversation turn"),
            vars={str(name): str(value) for name, value in variables.items()},
        )


@dataclass
class ConstitutionalPrompt:
    """Everything a single-run prompt knows.

    ``original_preamble`` is the description people wrote (by ``set_model_description`` or by a
    direct edit from feedback). ``preamble`` is the description that runs: the original with the
    principles folded in by the last apply, or the original itself before any apply.
    ``principles`` are the rules gathered from feedback, applied or not yet. ``conversations``
    holds one list per run: the user turn, then the committed model answer once there is one.
    """

    preamble: str = ""
    original_preamble: str = ""
    principles: list[str] = field(default_factory=list)
    conversations: list[list[ConversationTurn]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "preamble": self.preamble,
            "original_preamble": self.original_preamble,
            "principles": list(self.principles),
            "conversations": [[turn.to_dict() for turn in convo] for convo in self.conversations],
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ConstitutionalPrompt:
        principles = _require(payload, "principles", list, "constitutional prompt")
        if not all(isinstance(p, str) for p in principles):
            raise ValueError("constitutional prompt: every principle must be a string")
        conversations = _require(payload, "conversations", list, "constitutional prompt")
        return cls(
            preamble=_require(payload, "preamble", str, "constitutional prompt"),
            original_preamble=_require(payload, "original_preamble", str, "constitutional prompt"),
            principles=list(principles),
            conversations=[
                [ConversationTurn.from_dict(turn) for turn in convo] for convo in conversations
            ],
        )
