"""One change to a list of principles: what was added, edited or deleted, and where.

A change remembers the text it expects to find, so applying it to a list that moved on since it
was proposed fails loudly instead of editing the wrong principle. That makes it usable as the
payload of a compare-and-set, and its ``inverse`` is the undo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from alignment.errors import PrincipleConflictError

ChangeKind = Literal["add", "edit", "delete"]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)


@dataclass(frozen=True)
class PrincipleChange:
    """Add ``new_text`` at ``index``, replace ``old_text`` there with ``new_text``, or delete it.

    ``old_text`` is None for an add and ``new_text`` is None for a delete. ``reason`` is the
    alignment model's short explanation, kept so people can see why the change was made.
    """

    kind: ChangeKind
    index: int
    old_text: str | None = None
    new_text: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"unknown principle change kind {self.kind!r}")
        if self.index < 0:
            raise ValueError(f"principle index must not be negative, got {self.index}")
        needs_old, needs_new = self.kind != "add", self.kind != "delete"
        if (self.old_text is not None) != needs_old:
            raise ValueError(
                f"a {self.kind} change {'needs' if needs_old else 'takes no'} old_text"
            )
        if (self.new_text is not None) != needs_new:
            raise ValueError(
                f"a {self.kind} change {'needs' if needs_new else 'takes no'} new_text"
            )

    def apply(self, principles: Sequence[str]) -> list[str]:
        """Return a new list with this change made; ``principles`` itself is left alone."""
        updated = list(principles)
        if self.kind == "add":
            if self.index > len(updated):
                raise PrincipleConflictError(
                    f"cannot add at position {self.index}: there are only {len(updated)} principles"
                )
            updated.insert(self.index, cast(str, self.new_text))
            return updated
        if self.index >= len(updated):
            raise PrincipleConflictError(
                f"cannot {self.kind} principle {self.index}: there are only {len(updated)}"
            )
        if updated[self.index] != self.old_text:
            raise PrincipleConflictError(
                f"principle {self.index} is now {updated[self.index]!r}, "
                f"not {self.old_text!r} as this change expects"
            )
        if self.kind == "edit":
            updated[self.index] = cast(str, self.new_text)
        else:
            del updated[self.index]
        return updated

    def replayed_on(self, principles: Sequence[str]) -> PrincipleChange | None:
        """This same change for a list that moved on since it was decided, or None when it no
        longer makes sense there (the principle it edits or deletes is gone or reworded, or the
        principle it adds is already there).

        Lets a change decided once land after someone else's change, without asking the model
        again: an add goes to the end, an edit or a delete follows its principle's text.
        """
        if self.kind == "add":
            if self.new_text in principles:
                return None
            return PrincipleChange("add", len(principles), None, self.new_text, self.reason)
        if self.index < len(principles) and principles[self.index] == self.old_text:
            return self
        matches = [i for i, text in enumerate(principles) if text == self.old_text]
        if len(matches) != 1:
            return None
        return PrincipleChange(self.kind, matches[0], self.old_text, self.new_text, self.reason)

    def inverse(self) -> PrincipleChange:
        """The change that undoes this one when applied to the list this one produced."""
        undo_kind: dict[str, ChangeKind] = {"add": "delete", "delete": "add", "edit": "edit"}
        return PrincipleChange(
            kind=undo_kind[self.kind],
            index=self.index,
            old_text=self.new_text,
            new_text=self.old_text,
            reason=f"undo: {self.reason}" if self.reason else "undo",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "index": self.index,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> PrincipleChange:
        kind, index = payload.get("kind"), payload.get("index")
        if kind not in CHANGE_KINDS:
            raise ValueError(f"principle change: unknown kind {kind!r}")
        # bool is an int subclass; a stored true/false is never a valid position.
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError(f"principle change: index must be an integer, got {index!r}")
        texts = {key: payload.get(key) for key in ("old_text", "new_text")}
        for key, text in texts.items():
            if text is not None and not isinstance(text, str):
                raise ValueError(f"principle change: {key} must be a string or null")
        reason = payload.get("reason", "")
        if not isinstance(reason, str):
            raise ValueError("principle change: reason must be a string")
        return cls(
            kind=cast(ChangeKind, kind),
            index=index,
            old_text=texts["old_text"],
            new_text=texts["new_text"],
            reason=reason,
        )
