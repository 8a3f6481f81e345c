"""A dependency-free progress bar for the labeler's ``progress`` callback, drawn on a text stream.

On a terminal one line is redrawn in place; in a log or a pipe, where carriage returns would
pile up, a line is written only when a phase finishes.
"""

from __future__ import annotations

import threading
from typing import TextIO

from alignment._labeler.types import ProgressEvent

PHASE_NAMES = {
    "initialize": "writing first rules",
    "validate": "checking current rules",
    "mine": "finding mistakes",
    "improve": "proposing rule changes",
    "score": "scoring candidates",
    "infer": "labelling rows",
}


class ProgressBar:
    """Call it with each ``ProgressEvent``; ``prefix`` (e.g. "step 2/3") starts every line."""

    def __init__(self, stream: TextIO, width: int = 24, interactive: bool | None = None) -> None:
        self.stream = stream
        self.width = width
        self.interactive = stream.isatty() if interactive is None else interactive
        self.prefix = ""
        self._lock = threading.Lock()  # events arrive from the labeler's worker threads
        self._phase: str | None = None
        self._last_line = ""

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            line = self._render(event)
            if self.interactive:
                if self._phase not in (None, event.phase):
                    self.stream.write("\n")  # keep the finished phase on screen
                elif line == self._last_line:
                    return
                padding = " " * max(0, len(self._last_line) - len(line))
                self.stream.write(f"\r{line}{padding}")
            elif event.done >= event.total:
                self.stream.write(line + "\n")
            self.stream.flush()
            self._phase, self._last_line = event.phase, line

    def finish(self) -> None:
        """End the in-place line, so the next output starts on a fresh one."""
        with self._lock:
            if self.interactive and self._last_line:
                self.stream.write("\n")
                self.stream.flush()
            self._phase, self._last_line = None, ""

    def _render(self, event: ProgressEvent) -> str:
        share = min(event.done / event.total, 1.0) if event.total else 1.0
        filled = round(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        name = PHASE_NAMES.get(event.phase, event.phase)
        prefix = f"{self.prefix}  " if self.prefix else ""
        return (
            f"{prefix}{name:<22} [{bar}] {event.done:>5,}/{event.total:<5,} "
            f"model calls {event.model_calls:,}"
        )
