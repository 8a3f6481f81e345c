"""Which emoji reactions are feedback, and of which kind.

The default mapping is each kind's emoji in ``bot.feedback.kinds``: the reactions people already
use to agree, object or ask for a rewrite. A workspace can replace it with ``ALIGN_REACTIONS``,
written as ``kudos=+1,heart;critique=-1,x;rewrite=pencil2``: every kind listed replaces that
kind's defaults, kinds left out keep theirs. Skin-tone variants (``+1::skin-tone-3``) count as
the base emoji.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.feedback.kinds import FEEDBACK_KINDS, SlackFeedbackKinds


class ReactionMapError(ValueError):
    """``ALIGN_REACTIONS`` cannot be read; the message shows the expected form."""


def base_emoji(reaction: str) -> str:
    """``+1::skin-tone-2`` -> ``+1``; other names are returned as they are."""
    return reaction.strip().split("::", 1)[0].strip(":").strip()


def default_reactions(kinds: SlackFeedbackKinds = FEEDBACK_KINDS) -> dict[str, tuple[str, ...]]:
    """Each kind's default emoji, by kind name."""
    return {kind.name: kind.emoji for kind in kinds}


@dataclass(frozen=True)
class ReactionMap:
    kinds: Mapping[str, str]  # emoji -> kind name

    def kind_of(self, reaction: str) -> str | None:
        return self.kinds.get(base_emoji(reaction))

    def emoji_for(self, kind: str) -> list[str]:
        return [emoji for emoji, k in self.kinds.items() if k == kind]

    @classmethod
    def from_lists(cls, lists: Mapping[str, Iterable[str]]) -> ReactionMap:
        kinds: dict[str, str] = {}
        for kind, emoji in lists.items():
            for name in emoji:
                if name in kinds and kinds[name] != kind:
                    raise ReactionMapError(
                        f":{name}: is listed as both {kinds[name]} and {kind}; give it one kind"
                    )
                kinds[name] = kind
        return cls(kinds)


DEFAULT_REACTION_MAP = ReactionMap.from_lists(default_reactions())


def parse_reaction_map(text: str | None, kinds: SlackFeedbackKinds = FEEDBACK_KINDS) -> ReactionMap:
    """Read an ``ALIGN_REACTIONS`` value; empty or None gives the default mapping."""
    lists = default_reactions(kinds)
    if not text or not text.strip():
        return ReactionMap.from_lists(lists)
    for group in filter(None, (g.strip() for g in text.split(";"))):
        kind, has_equals, emoji_text = group.partition("=")
        kind = kind.strip().lower()
        if not has_equals or kind not in kinds:
            raise ReactionMapError(
                f"{group!r} should be KIND=emoji,emoji with KIND one of "
                f"{', '.join(kinds.names)}, e.g. {kinds.reactions_example()}"
            )
        lists[kind] = tuple(base_emoji(e) for e in emoji_text.split(",") if base_emoji(e))
    return ReactionMap.from_lists(lists)
