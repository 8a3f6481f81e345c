"""Every public exception of the library, in one tree under ``AlignmentError``.

Catch ``AlignmentError`` to handle anything the library raises on purpose; catch a branch to
handle one kind of failure. Several classes also derive from a built-in (``ValueError``,
``KeyError``, ``RuntimeError``) because code written before this tree existed catches those.
Each message says what went wrong and what to do next, so it can be shown to a person as is.

AlignmentError
├── ModelError (RuntimeError)             a model call failed, or a helper could not be set up
│   ├── ModelConfigError                  something is missing before any call (an API key)
│   │   └── ModelSpecError (ValueError)   a spec such as "gemini:gemini-2.5-flash" is unreadable
│   ├── ModelAuthError                    the service refused the API key
│   ├── ModelNotFoundError                the service does not know the model name
│   ├── ModelRequestError                 the service refused the request itself
│   ├── ModelResponseError                the answer came back in an unusable form
│   ├── ModelTransientError               worth retrying: rate limit, 5xx, timeout (never seen
│   │                                     by callers: the retry loop turns it into the next one)
│   ├── ModelUnavailableError             every attempt failed with a transient error
│   ├── ModelStreamError                  a streamed answer stopped part-way (``partial``)
│   └── LabelerModelError                 a model call made by the labeler failed
├── TemplateError (ValueError)            a prompt template cannot be filled
│   ├── MissingVariableError (KeyError)   a ``{variable}`` was given no value
│   └── UnexpectedVariableError           a value was given for a variable the template lacks
├── AnswerFormatError (ValueError)        a model's answer is not the JSON the prompt asked for
│   └── AlignmentAnswerError              the alignment model's answer is unusable after a retry
│       └── PromptVariablesChangedError   a rewritten prompt lost or gained ``{variables}``
├── NoResponseError (ValueError)          feedback on a conversation with no model answer
├── UnknownFeedbackKindError (ValueError) a feedback kind that is not registered for that use
├── PrincipleConflictError (ValueError)   the principles changed since a change was proposed
├── DatasetError (ValueError)             a CSV or frame cannot be used as a dataset
│   └── ScoreLabelsError                  the label column holds scores: a threshold is needed
├── LabelerFileError (ValueError)         a saved labeler file cannot be read
├── TrainingCancelled                     training was asked to stop; nothing was changed
└── PromptServiceError                    the prompt API (``PromptClient``) gave no prompt
    ├── PromptAuthError                   401: the API key is missing, wrong or revoked
    ├── PromptNotFoundError (LookupError) 404: no such prompt, label or version
    ├── PromptRequestError (ValueError)   the request was refused (400, or checked before sending)
    ├── PromptUnavailableError            unreachable, timed out, 5xx or 429, with no copy or
    │                                     fallback to serve instead
    └── PromptResponseError               the answer was unusable (too large, not the API's JSON),
                                          with no copy or fallback to serve instead

This module imports nothing from the rest of the library, so any module can import it.
"""

from __future__ import annotations

__all__ = [
    "AlignmentAnswerError",
    "AlignmentError",
    "AnswerFormatError",
    "DatasetError",
    "LabelerFileError",
    "LabelerModelError",
    "MissingVariableError",
    "ModelAuthError",
    "ModelConfigError",
    "ModelError",
    "ModelNotFoundError",
    "ModelRequestError",
    "ModelResponseError",
    "ModelSpecError",
    "ModelStreamError",
    "ModelTransientError",
    "ModelUnavailableError",
    "NoResponseError",
    "PrincipleConflictError",
    "PromptAuthError",
    "PromptNotFoundError",
    "PromptRequestError",
    "PromptResponseError",
    "PromptServiceError",
    "PromptUnavailableError",
    "PromptVariablesChangedError",
    "ScoreLabelsError",
    "TemplateError",
    "TrainingCancelled",
    "UnexpectedVariableError",
    "UnknownFeedbackKindError",
]


class AlignmentError(Exception):
    """The root of every exception the library raises on purpose."""


# -- models -------------------------------------------------------------------------------------


class ModelError(AlignmentError, RuntimeError):
    """A model call failed, or a helper could not be set up."""


class ModelConfigError(ModelError):
    """The helper is missing something it needs before any call, such as an API key."""


class ModelSpecError(ModelConfigError, ValueError):
    """A model spec string such as ``"gemini:gemini-2.5-flash"`` could not be read."""


class ModelAuthError(ModelError):
    """The service rejected the API key (missing, wrong, or without access to the model)."""


class ModelNotFoundError(ModelError):
    """The service does not know the requested model name."""


class ModelRequestError(ModelError):
    """The service refused the request itself (bad parameter, prompt too long, and so on)."""


class ModelResponseError(ModelError):
    """The service answered, but with something the helper cannot use."""


class ModelTransientError(ModelError):
    """A failure worth retrying: rate limit, server error, timeout or lost connection.

    ``retry_after`` carries the server's own hint (seconds) when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailableError(ModelError):
    """Every attempt failed with a transient error; ``attempts`` says how many were made."""

    def __init__(self, message: str, attempts: int, last_error: ModelTransientError) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_error = last_error


class ModelStreamError(ModelError):
    """A streamed answer broke off after some of it had arrived; it is not retried.

    Retrying would start the answer again from nothing, after the caller has shown part of it,
    so the caller decides. ``partial`` holds the text that arrived before the failure.
    """

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


class LabelerModelError(ModelError):
    """A model call made by the labeler failed; the message says which call and why."""


# -- prompts and answers --------------------------------------------------------------------------


class TemplateError(AlignmentError, ValueError):
    """A template cannot be filled: a refused field, or a variable that was not given."""


class MissingVariableError(TemplateError, KeyError):
    """A placeholder has no value. ``missing`` and ``given`` name the variables involved."""

    def __init__(self, missing: list[str], given: list[str]) -> None:
        self.missing = missing
        self.given = given
        given_text = ", ".join(given) if given else "none"
        super().__init__(
            f"missing value for template variable(s) {', '.join(missing)}; given: {given_text}"
        )

    def __str__(self) -> str:
        # KeyError would otherwise wrap the message in quotes.
        return str(self.args[0])


class UnexpectedVariableError(TemplateError):
    """Values were given for variables the template does not have (often a misspelt name).

    ``unexpected`` names them and ``expected`` lists the template's variables.
    """

    def __init__(self, unexpected: list[str], expected: list[str]) -> None:
        self.unexpected = unexpected
        self.expected = expected
        super().__init__(
            f"the template has no variable(s) {', '.join(unexpected)}; its variables are "
            f"{', '.join(expected) or '(none)'}"
        )


class AnswerFormatError(AlignmentError, ValueError):
    """The model's answer could not be read as the JSON the prompt asked for."""


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


# -- single-run prompts ---------------------------------------------------------------------------


class NoResponseError(AlignmentError, ValueError):
    """Feedback was given on a conversation that has no model answer to judge."""


class UnknownFeedbackKindError(AlignmentError, ValueError):
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


class PrincipleConflictError(AlignmentError, ValueError):
    """The principles list does not look the way the change expects (it changed meanwhile)."""


# -- data and labelers ----------------------------------------------------------------------------


class DatasetError(AlignmentError, ValueError):
    """A file that cannot be used as a dataset; ``str()`` tells the person how to fix it."""


class ScoreLabelsError(DatasetError):
    """The label column holds scores (numbers between 0 and 1), not labels.

    ``column`` names it, so a caller can add how its own interface takes a threshold (the CLI's
    ``--threshold``, the bot's ``threshold=``) to the message.
    """

    def __init__(self, message: str, column: str) -> None:
        super().__init__(message)
        self.column = column


class LabelerFileError(AlignmentError, ValueError):
    """A labeler file that cannot be read; ``str()`` says what to do about it."""


class TrainingCancelled(AlignmentError):
    """``should_stop`` asked the labeler to stop; the checkpoint given to it is unchanged."""


# -- the prompt API client ------------------------------------------------------------------------


class PromptServiceError(AlignmentError):
    """The prompt API gave no usable prompt; ``str()`` says why and what to check.

    Messages never contain the API key.
    """


class PromptAuthError(PromptServiceError):
    """The server answered 401: the API key is missing, malformed, unknown or revoked."""


class PromptNotFoundError(PromptServiceError, LookupError):
    """The server answered 404: the workspace has no such prompt, or no version with that label
    or number (the message names which)."""


class PromptRequestError(PromptServiceError, ValueError):
    """The request itself was refused: a malformed name, label or version, or both a label and
    a version (by the server's 400, or by the client before anything was sent)."""


class PromptUnavailableError(PromptServiceError):
    """The server could not be reached or could not answer (connection error, timeout, 5xx, 429)
    and there was neither an earlier copy nor a fallback template to serve instead.

    ``retry_after`` carries the server's hint (seconds) when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PromptResponseError(PromptServiceError):
    """The server's answer could not be used: too large, not JSON, or not the shape the API
    promises; with no earlier copy nor fallback template to serve instead."""
