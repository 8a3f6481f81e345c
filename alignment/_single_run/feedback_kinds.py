"""The kinds of feedback the library understands, each with every text the alignment model sees.

A kind is one ``FeedbackKindSpec``: its name, how the reply classifier describes it, the block
that shows it when a principle change is decided, and (when the kind can be drafted for people
to pick from) what a suggestion prompt calls it. The classifier, suggestions and principle
proposals all read ``FEEDBACK_KINDS``; none of them names a kind. Adding a kind is one more entry
here. Asking for a kind that is not registered raises ``UnknownFeedbackKindError`` rather than
quietly treating it as some other kind, because a praise read as a critique would change the
prompt the wrong way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alignment.errors import UnknownFeedbackKindError

# A kind's name, as callers pass it ("critique") and as the classifier answers it. Plain text,
# not a Literal, so that the registry below stays the one list of kinds.
FeedbackKind = str


@dataclass(frozen=True)
class SuggestionTexts:
    """How a suggestion prompt asks for drafts of one kind."""

    noun: str  # fills "draft 3 pieces of {noun}"
    guidance: str  # one line on what a good draft of this kind says


@dataclass(frozen=True)
class FeedbackKindSpec:
    name: str
    meaning: str  # for the reply classifier: what a reply of this kind does
    decision_block: str  # shows the feedback (``{feedback}``) when a change is decided
    suggestion: SuggestionTexts | None = None  # None: people write this kind themselves
    # How the classifier should restate a reply of this kind, when not as one clear sentence.
    restatement: str = ""


class FeedbackKinds:
    """An ordered, read-only set of kinds; lookups of unknown names raise, never default."""

    def __init__(self, kinds: Iterable[FeedbackKindSpec]) -> None:
        self._kinds: dict[str, FeedbackKindSpec] = {}
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"feedback kind {kind.name!r} is registered twice")
            if "{feedback}" not in kind.decision_block:
                raise ValueError(f"the decision block of {kind.name!r} has no {{feedback}}")
            self._kinds[kind.name] = kind

    def __iter__(self) -> Iterator[FeedbackKindSpec]:
        return iter(self._kinds.values())

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    @property
    def suggestable(self) -> tuple[str, ...]:
        """The kinds the alignment model can draft for people to choose from."""
        return tuple(name for name, kind in self._kinds.items() if kind.suggestion is not None)

    def get(self, name: str) -> FeedbackKindSpec:
        kind = self._kinds.get(name)
        if kind is None:
            raise UnknownFeedbackKindError(name, self.names)
        return kind

    def suggestion_texts(self, name: str) -> SuggestionTexts:
        """The suggestion texts of ``name``; raises when the kind cannot be suggested."""
        texts = self.get(name).suggestion
        if texts is None:
            raise UnknownFeedbackKindError(name, self.suggestable, "suggested")
        return texts


FEEDBACK_KINDS = FeedbackKinds(
    [
        FeedbackKindSpec(
            name="kudos",
            meaning="the reply says something about the answer is good and worth keeping.",
            decision_block="""\
## A teammate's praise for that answer
<kudos>
{feedback}
</kudos>
The praise names something the prompt should make the model keep doing on purpose.""",
            suggestion=SuggestionTexts(
                noun="kudos (praise)",
                guidance="Kudos point out what the answer does well and should keep doing.",
            ),
        ),
        FeedbackKindSpec(
            name="critique",
            meaning="the reply says something about the answer is wrong, missing or should change.",
            decision_block="""\
## A teammate's critique of that answer
<critique>
{feedback}
</critique>
The critique names something the prompt should make the model do differently next time.""",
            suggestion=SuggestionTexts(
                noun="critique",
                guidance="Critiques point out what is missing, wrong or could be better.",
            ),
        ),
        FeedbackKindSpec(
            name="rewrite",
            meaning=(
                "the reply is itself a better version of the answer (the text the person wanted)."
            ),
            decision_block="""\
## A teammate's rewrite of that answer
<rewrite>
{feedback}
</rewrite>
This is the answer they wanted instead. The differences between it and the model's answer show \
what the prompt should ask for.""",
            restatement="copy the rewritten answer as written",
        ),
    ]
)
