"""Streamed answers for service helpers: the same retries, cap and usage counts as ``predict``.

A concrete helper opens one streamed request in ``_open_stream`` and yields :class:`StreamPiece`
values, its failures already translated into ``ModelError`` subclasses. Around that:

- Until the first text arrives nothing has been handed out, so a transient failure (429, 5xx,
  timeout, a connection lost before any text) is retried exactly as ``predict`` retries it.
- Once text has been handed out, a failure ends the answer with :class:`ModelStreamError`, which
  carries the text so far: starting again would show the reader a different answer.
- The concurrency slot is held while the answer streams, and given back when it ends, fails,
  or the caller stops reading (closing the iterator closes the request).
- Usage: one call, one request per attempt, token counts from the last report the service sent
  (services report running totals in their chunks).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alignment._providers.retry import call_with_retries
from alignment.errors import ModelError, ModelStreamError

if TYPE_CHECKING:
    from alignment._providers.service import ModelRequest, ServiceModelHelper


@dataclass(frozen=True)
class StreamPiece:
    """One chunk of a streamed answer: new text, and token totals when the service sent them."""

    text: str = ""
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None


class _Totals:
    """The latest token totals seen in a stream."""

    def __init__(self) -> None:
        self.prompt = self.output = self.thinking = 0

    def note(self, piece: StreamPiece) -> None:
        if piece.prompt_tokens is not None:
            self.prompt = piece.prompt_tokens
        if piece.output_tokens is not None:
            self.output = piece.output_tokens
        if piece.thinking_tokens is not None:
            self.thinking = piece.thinking_tokens


@dataclass
class _Opened:
    """A stream whose first text (or end) has arrived, with its slot still held."""

    pieces: Iterator[StreamPiece]
    first: str
    release: Callable[[], None]


def stream_answer(helper: ServiceModelHelper, request: ModelRequest) -> Generator[str, None, None]:
    """The text of one answer to ``request``, piece by piece (see the module docstring).

    Nothing is sent until the first piece is asked for.
    """
    helper.usage.add(calls=1)
    totals = _Totals()

    def attempt() -> _Opened:
        if helper.request_gate is not None:
            helper.request_gate.acquire()
        helper._slots.acquire()
        helper.usage.add(requests=1)
        pieces = helper._open_stream(request)
        try:
            for piece in pieces:
                totals.note(piece)
                if piece.text:
                    return _Opened(pieces, piece.text, helper._slots.release)
        except BaseException:
            _close(pieces)
            helper._slots.release()
            raise
        # The answer ended without any text: an empty answer, nothing left to read.
        return _Opened(iter(()), "", helper._slots.release)

    try:
        opened = call_with_retries(
            attempt,
            helper.retry,
            helper._describe(),
            on_retry=lambda: helper.usage.add(retries=1),
        )
    except BaseException:
        helper.usage.add(errors=1)
        raise
    written = opened.first
    failed = True
    try:
        if opened.first:
            yield opened.first
        for piece in opened.pieces:
            totals.note(piece)
            if piece.text:
                written += piece.text
                yield piece.text
        failed = False
    except GeneratorExit:
        failed = False  # the caller stopped reading: not a failure of the model
        raise
    except ModelError as error:
        raise ModelStreamError(
            f"{helper._describe()} stopped part-way through its answer ({error}); "
            f"{len(written)} characters had arrived. Try again.",
            partial=written,
        ) from error
    finally:
        _close(opened.pieces)
        opened.release()
        helper.usage.add(
            errors=1 if failed else 0,
            empty_answers=0 if written or failed else 1,
            prompt_tokens=totals.prompt,
            output_tokens=totals.output,
            thinking_tokens=totals.thinking,
        )


def _close(pieces: Iterator[StreamPiece]) -> None:
    close = getattr(pieces, "close", None)
    if close is not None:
        close()
