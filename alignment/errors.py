"""Errors a model helper raises, each with a message that tells the user what to do next.

Every error is a ``ModelError``, so callers that only want "the model failed" catch one class.
``ModelTransientError`` is what the retry loop retries; callers never see it, because after the
last attempt it becomes a ``ModelUnavailableError``.
"""

from __future__ import annotations


class ModelError(RuntimeError):
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
