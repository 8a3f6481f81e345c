"""What each feedback kind means in Slack: its emoji, its reply prefix, its words and its flow.

The library decides which kinds exist and what the alignment model is told about each
(``alignment._single_run.feedback_kinds``); this registry adds what people see and do. The
reaction map, the reply-prefix parser, the reason offers and forms, the settings' defaults and
the help text are all built from ``FEEDBACK_KINDS`` here, so adding a kind is one entry below
(plus its prompt texts in the library). The registry checks itself against the library when
built: a kind the library does not know, or reasons offered for a kind it cannot draft, fails
at import rather than on the first reaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from alignment.single_run import FEEDBACK_KINDS as LIBRARY_KINDS
from alignment.single_run import FeedbackKinds

# What a reaction of a kind does: a reaction carries no why, so the bot either offers reasons
# drafted by the alignment model, or asks the person to reply with their own text.
ReactionFlow = Literal["offer_reasons", "ask_for_reply"]


@dataclass(frozen=True)
class SlackFeedbackKind:
    name: str  # the library's name for the kind
    emoji: tuple[str, ...]  # default reactions, replaced per kind by ALIGN_REACTIONS
    prefix: str  # a reply starting "<prefix>:" is feedback of this kind
    on_reaction: ReactionFlow
    # Asked above suggested reasons, and the "write my own" form's words.
    question: str = ""
    form_title: str = ""
    form_label: str = ""
    # The request posted when ``on_reaction`` is "ask_for_reply", after "<@user> reacted :x:.",
    # and its one-line form for notifications.
    reply_request: str = ""
    reply_request_summary: str = ""
    # The message shortcut and "Feedback" menu entry of the kind (``bot.feedback.actions``):
    # what Slack's shortcut menu says about it, and whether its form starts as the answer
    # itself (a rewrite is an edit of the answer) or empty (kudos, critiques say why).
    action_description: str = ""
    form_prefilled: bool = False

    @property
    def offers_reasons(self) -> bool:
        return self.on_reaction == "offer_reasons"

    @property
    def asks_for_reply(self) -> bool:
        return self.on_reaction == "ask_for_reply"


class UnknownSlackKindError(KeyError):
    """A kind name that no registry entry has (a stale offer, a typo in code)."""


class SlackFeedbackKinds:
    """The kinds the bot handles, in the order help texts and error messages list them."""

    def __init__(
        self, kinds: Iterable[SlackFeedbackKind], library: FeedbackKinds = LIBRARY_KINDS
    ) -> None:
        self._kinds: dict[str, SlackFeedbackKind] = {}
        for kind in kinds:
            _check(kind, library)
            if kind.name in self._kinds:
                raise ValueError(f"feedback kind {kind.name!r} is registered twice")
            taken = {k.prefix.casefold() for k in self._kinds.values()}
            if kind.prefix.casefold() in taken:
                raise ValueError(f"reply prefix {kind.prefix!r} is used by two kinds")
            self._kinds[kind.name] = kind
        prefixes = [re.escape(k.prefix) for k in self._kinds.values()]
        self._prefix_pattern = re.compile(
            r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)?(" + "|".join(prefixes) + r")\s*:\s*(.*)\Z",
            re.IGNORECASE | re.DOTALL,
        )

    def __iter__(self) -> Iterator[SlackFeedbackKind]:
        return iter(self._kinds.values())

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def get(self, name: str) -> SlackFeedbackKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownSlackKindError(
                f"no feedback kind {name!r}; the kinds are {', '.join(self._kinds)}"
            ) from None

    def by_prefix(self, prefix: str) -> SlackFeedbackKind | None:
        """The kind whose reply prefix is ``prefix``, ignoring case."""
        wanted = prefix.casefold()
        return next((k for k in self._kinds.values() if k.prefix.casefold() == wanted), None)

    @property
    def prefix_pattern(self) -> re.Pattern[str]:
        """``<prefix>: text`` at the start of a reply (raw Slack text), the bot perhaps mentioned
        first; group 1 is the prefix as typed, group 2 the text."""
        return self._prefix_pattern

    def reaction_help(self) -> str:
        """``:+1: kudos, :-1: critique, ...``: one default emoji per kind, for help texts."""
        return ", ".join(f":{k.emoji[0]}: {k.name}" for k in self._kinds.values() if k.emoji)

    def prefix_help(self) -> str:
        """Each kind's reply prefix in code style (`kudos: ...`), for help texts."""
        return ", ".join(f"`{k.prefix}: ...`" for k in self._kinds.values())

    def reactions_example(self) -> str:
        """An ``ALIGN_REACTIONS`` value in the expected form, built from the defaults."""
        return ";".join(
            f"{k.name}={','.join(k.emoji[:2])}" for k in self._kinds.values() if k.emoji
        )


def _check(kind: SlackFeedbackKind, library: FeedbackKinds) -> None:
    """Refuse an entry the library cannot serve, or one missing the words its flow shows."""
    if kind.name not in library:
        raise ValueError(
            f"feedback kind {kind.name!r} is not one the library knows "
            f"({', '.join(library.names)}); add its prompt texts there first"
        )
    if not re.fullmatch(r"[A-Za-z][\w-]*", kind.prefix):
        raise ValueError(f"reply prefix {kind.prefix!r} must be one word")
    if kind.offers_reasons:
        if kind.name not in library.suggestable:
            raise ValueError(f"the library cannot suggest reasons of kind {kind.name!r}")
        if not (kind.question and kind.form_title and kind.form_label):
            raise ValueError(f"{kind.name!r} offers reasons, so it needs its question and form")
    if kind.asks_for_reply and not (kind.reply_request and kind.reply_request_summary):
        raise ValueError(f"{kind.name!r} asks for a reply, so it needs its reply_request")
    # Every kind can be given from a message shortcut or the answer's menu, through its form.
    if not (kind.form_title and kind.form_label and kind.action_description):
        raise ValueError(f"{kind.name!r} needs its form words and action_description")


FEEDBACK_KINDS = SlackFeedbackKinds(
    [
        SlackFeedbackKind(
            name="kudos",
            emoji=("+1", "thumbsup", "heart", "star", "tada", "100", "white_check_mark"),
            prefix="kudos",
            on_reaction="offer_reasons",
            question="What was good about it?",
            form_title="Your kudos",
            form_label="What was good about the answer?",
            action_description="Say what is good about this answer, so the prompt keeps doing it",
        ),
        SlackFeedbackKind(
            name="critique",
            emoji=("-1", "thumbsdown", "x", "confused", "no_entry"),
            prefix="critique",
            on_reaction="offer_reasons",
            question="What should change?",
            form_title="Your critique",
            form_label="What should change?",
            action_description="Say what should change in this answer; it becomes a principle",
        ),
        SlackFeedbackKind(
            name="rewrite",
            emoji=("pencil2", "memo"),
            prefix="rewrite",
            on_reaction="ask_for_reply",
            reply_request=(
                "Reply in this thread with the answer you wanted, and I will turn the "
                "difference into a principle."
            ),
            reply_request_summary="Reply with the answer you wanted",
            form_title="Your rewrite",
            form_label="The answer you wanted",
            action_description="Edit this answer into the one you wanted; the difference "
            "becomes a principle",
            form_prefilled=True,
        ),
    ]
)
