"""Candidate answers streamed side by side, read in any order.

Each candidate's answer is read from the model by a thread of its own into a queue, so all of
them are written at once, while the caller may show them one after another: by the time it
turns to the second, most of it has already arrived. A helper that cannot stream answers with
``predict`` instead, and its stream holds one piece: the whole answer.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator

from alignment._providers.base import ModelHelper, SupportsStreaming

_DONE = object()


class AnswerStream:
    """One answer, as the pieces of text the model writes; iterate it once.

    ``text`` is everything read so far. Errors the model raised are raised by the iteration,
    at the point where they happened. ``close`` stops the reading (and the model request).
    """

    def __init__(self, pieces: Callable[[], Iterator[str]]) -> None:
        self.text = ""
        self._queue: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        # The reader runs in a copy of the caller's context, so what the caller keeps in context
        # variables (an application's log fields, for one) applies to the model request too.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._read, pieces), name="answer-stream", daemon=True
        )
        self._thread.start()

    def _read(self, pieces: Callable[[], Iterator[str]]) -> None:
        source: Iterator[str] | None = None
        try:
            source = pieces()
            for piece in source:
                if self._stop.is_set():
                    break
                self._queue.put(piece)
        except BaseException as error:  # handed to the reader, who raises it
            self._queue.put(error)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
            self._queue.put(_DONE)

    def __iter__(self) -> Iterator[str]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, str)
            self.text += item
            yield item

    def close(self) -> None:
        """Stop reading; the model request ends at its next piece."""
        self._stop.set()


def start_streams(
    helper: ModelHelper, prompt: str, temperature: float, count: int
) -> list[AnswerStream]:
    """``count`` answers to ``prompt``, each streaming in its own thread from now on."""

    def one() -> Iterator[str]:
        if isinstance(helper, SupportsStreaming):
            return helper.predict_stream(prompt, temperature)
        answer = helper.predict(prompt=prompt, temperature=temperature)
        text = answer[0] if isinstance(answer, list) and answer else answer
        return iter([text] if isinstance(text, str) and text else [])

    return [AnswerStream(one) for _ in range(count)]
