"""The one contract every model helper honours, and the optional extras the library looks for.

A helper written for upstream model-alignment implements nothing but ``predict``; the library
never calls anything else on a helper without first checking that it is there.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable


class ModelHelper(abc.ABC):
    """Wraps one LLM. ``predict`` is the only method the library requires."""

    @abc.abstractmethod
    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        """Answer ``prompt``: a string, or ``candidate_count`` strings when it is above 1."""


@runtime_checkable
class SupportsStructuredOutput(Protocol):
    """Optional: a helper that can constrain its answer to a JSON schema.

    The library detects this with ``isinstance`` and falls back to parsing plain text otherwise.
    """

    def predict_json(
        self,
        prompt: str,
        schema: dict[str, Any],
        temperature: float,
        max_output_tokens: int | None = None,
    ) -> str:
        """Answer ``prompt`` with a JSON document (as text) that matches ``schema``."""
        ...


@runtime_checkable
class SupportsEmbedding(Protocol):
    """Optional: a helper that turns texts into vectors (a mixture of experts routes by them).

    ``embedding_model`` names the model, so cached vectors are told apart from another's.
    """

    embedding_model: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, all of the same length."""
        ...


def embedding_helper(helper: object) -> SupportsEmbedding | None:
    """``helper`` when it can embed text, else None.

    Looked up as attributes, not with ``isinstance``: a wrapper that hands unknown attributes on
    to the helper it wraps can embed when that helper can.
    """
    embed = getattr(helper, "embed", None)
    if callable(embed) and isinstance(getattr(helper, "embedding_model", None), str):
        return helper  # type: ignore[return-value]
    return None


@runtime_checkable
class SupportsStreaming(Protocol):
    """Optional: a helper that hands out its answer piece by piece as the model writes it.

    The seed's blocking ``predict`` stays the contract; callers that can show text early check
    for this with ``isinstance`` and otherwise wait for ``predict``.
    """

    def predict_stream(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        max_output_tokens: int | None = None,
    ) -> Iterator[str]:
        """Answer ``prompt`` as consecutive pieces of text; joined, they are the whole answer."""
        ...


def model_identity(helper: object) -> str:
    """A stable name for a helper's model, used to key caches and usage counts."""
    name = getattr(helper, "model_name", None)
    return f"{type(helper).__name__}:{name}" if name else type(helper).__name__
