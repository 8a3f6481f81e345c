"""Errors raised by single-run prompt alignment. Each leaves the prompt's state as it was."""

from __future__ import annotations

from alignment._prompting.structured import AnswerFormatError


class AlignmentAnswerError(AnswerFormatError):
    """The alignment model's answer could not be used, even after asking again.

    A subclass of ``AnswerFormatError`` so callers that already handle unreadable JSON answers
    handle this too. The message says what was wrong with the last answer.
    """


class PromptVariablesChangedError(AlignmentAnswerError):
    """A rewritten description kept the wrong set of ``{variables}``; the rewrite was refused."""

    def __init__(self, expected: list[str], missing: list[str], added: list[str]) -> None:
        self.expected = expected
        self.missing = missing
        self.added = added
        problems = []
        if missing:
            problems.append(f"dropped {', '.join(missing)}")
        if added:
            problems.append(f"added {', '.join(added)}")
        super().__init__(
            "the alignment model's rewrite of the prompt "
            f"{' and '.join(problems) or 'was not a valid template'}; "
            f"the prompt must keep exactly the variables {', '.join(expected) or '(none)'}, "
            "so it was left unchanged. Try again, or edit the description by hand."
        )


class NoResponseError(ValueError):
    """Feedback was given on a conversation that has no model answer to judge."""


class UnknownFeedbackKindError(ValueError):
    """A feedback kind that is not registered (or cannot be used this way) was asked for.

    Raised instead of treating the feedback as some other kind; ``known`` lists the valid names.
    """

    def __init__(self, kind: object, known: tuple[str, ...], use: str = "used") -> None:
        self.kind = kind
        self.known = known
        super().__init__(
            f"feedback kind {kind!r} cannot be {use}: the kinds that can are "
            f"{', '.join(known) or '(none)'}"
        )
