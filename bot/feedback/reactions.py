"""Which emoji reactions are feedback, and of which kind.

The default mapping covers the reactions people already use to agree, object or ask for a
rewrite. A workspace can replace it with ``ALIGN_REACTIONS``, written as
``kudos=+1,heart;critique=-1,x;rewrite=pencil2``: every kind listed replaces that kind's
defaults, kinds left out keep theirs. Skin-tone variants (``+1::skin-tone-3``) count as the
base emoji.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

ReactionKind = Literal["kudos", "critique", "rewrite"]
REACTION_KINDS: tuple[str, ...] = get_args(ReactionKind)

DEFAULT_REACTIONS: Mapping[ReactionKind, tuple[str, ...]] = {
    "kudos": ("+1", "thumbsup", "heart", "star", "tada", "100", "white_check_mark"),
    "critique": ("-1", "thumbsdown", "x", "confused", "no_entry"),
    "rewrite": ("pencil2", "memo"),
}


class ReactionMapError(ValueError):
    """``ALIGN_REACTIONS`` cannot be read; the message shows the expected form."""


def base_emoji(reaction: str) -> str:
    """``+1::skin-tone-2`` -> ``+1``; other names are returned as they are."""
    return reaction.strip().split("::", 1)[0].strip(":").strip()


@dataclass(frozen=True)
class ReactionMap:
    kinds: Mapping[str, ReactionKind]

    def kind_of(self, reaction: str) -> ReactionKind | None:
        return self.kinds.get(base_emoji(reaction))

    def emoji_for(self, kind: ReactionKind) -> list[str]:
        return [emoji for emoji, k in self.kinds.items() if k == kind]

    @classmethod
    def from_lists(cls, lists: Mapping[ReactionKind, Iterable[str]]) -> ReactionMap:
        kinds: dict[str, ReactionKind] = {}
        for kind, emoji in lists.items():
            for name in emoji:
                if name in kinds and kinds[name] != kind:
                    raise ReactionMapError(
                        f":{name}: is listed as both {kinds[name]} and {kind}; give it one kind"
                    )
                kinds[name] = kind
        return cls(kinds)


DEFAULT_REACTION_MAP = ReactionMap.from_lists(DEFAULT_REACTIONS)


def parse_reaction_map(text: str | None) -> ReactionMap:
    """Read an ``ALIGN_REACTIONS`` value; empty or None gives the default mapping."""
    if not text or not text.strip():
        return DEFAULT_REACTION_MAP
    lists: dict[ReactionKind, tuple[str, ...]] = dict(DEFAULT_REACTIONS)
    for group in filter(None, (g.strip() for g in text.split(";"))):
        kind, has_equals, emoji_text = group.partition("=")
        kind = kind.strip().lower()
        if not has_equals or kind not in REACTION_KINDS:
            raise ReactionMapError(
                f"{group!r} should be KIND=emoji,emoji with KIND one of "
                f"{', '.join(REACTION_KINDS)}, e.g. kudos=+1,heart;critique=-1"
            )
        emoji = tuple(base_emoji(e) for e in emoji_text.split(",") if base_emoji(e))
        lists[cast(ReactionKind, kind)] = emoji
    return ReactionMap.from_lists(lists)
