"""The plain-text progress bar the command line draws on stderr."""

from __future__ import annotations

import io

from alignment._labeler.text_progress import ProgressBar
from alignment._labeler.types import ProgressEvent


def event(phase: str, done: int, total: int, calls: int = 0) -> ProgressEvent:
    return ProgressEvent(phase=phase, done=done, total=total, model_calls=calls, cache_hits=0)


def test_terminal_redraws_one_line_per_phase() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, width=10, interactive=True)
    bar.prefix = "step 1/2"
    bar(event("validate", 0, 4))
    bar(event("validate", 2, 4, calls=2))
    bar(event("validate", 2, 4, calls=2))  # nothing changed: nothing drawn
    bar(event("score", 1, 1, calls=9))
    bar.finish()
    text = stream.getvalue()
    finished_lines = text.split("\n")
    assert len(finished_lines) == 3 and finished_lines[-1] == ""
    assert finished_lines[0].count("\r") == 2
    last_draw = finished_lines[0].split("\r")[-1]
    assert last_draw.startswith("step 1/2  checking current rules")
    assert "[#####-----]     2/4" in last_draw
    assert "[##########]     1/1" in finished_lines[1] and "model calls 9" in finished_lines[1]


def test_log_output_gets_a_line_only_when_a_phase_finishes() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, width=4, interactive=False)
    for done in range(5):
        bar(event("infer", done, 4, calls=done))
    bar(event("score", 0, 0))
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "labelling rows" in lines[0] and "[####]" in lines[0] and "4/4" in lines[0]
    assert "\r" not in stream.getvalue()
