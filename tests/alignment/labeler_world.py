"""A pretend model for labeler tests that answers by reading the labeler's prompts.

Every example text carries a token such as ``kw7``. The pretend classifier labels an example
correctly when a rule of its true label names the example's token, and answers ``fallback``
otherwise; the rules it writes name the token of the example it was shown. So a rule added for the
right label fixes exactly the examples it names, and tests can predict what training does.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from tests.fakes.models import Request, ScriptedModel

TOKEN = re.compile(r"\bkw\d+\b")
_EXAMPLE = re.compile(r"Example:\n<(\w+)>(.*?)</\1>", re.DOTALL)
_SHOWN = re.compile(r"<(\w+)>(.*?)</\1>", re.DOTALL)
_OPTION = re.compile(r'^- "(.*?)": (.*)$', re.MULTILINE)
_NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.MULTILINE)


def prompt_kind(prompt: str) -> str:
    last = prompt.rstrip().splitlines()[-1]
    if last == "Explanation:":
        return "feedback"
    if last == "Option number:":
        return "choose"
    if last == "Rule:":
        return "initial"
    if re.fullmatch(r"R\d+:", last):
        return "rule"
    if "Which label fits this example best?" in prompt:
        return "classify"
    raise AssertionError(f"unknown prompt: {prompt[-300:]!r}")


def example_text(prompt: str) -> str:
    """The text of the example a prompt is about (the one being classified, or shown last)."""
    match = _EXAMPLE.search(prompt)
    if match:
        return match.group(2)
    shown = _SHOWN.findall(prompt)
    return shown[-1][1] if shown else ""


def token_of(text: str) -> str | None:
    match = TOKEN.search(text)
    return match.group() if match else None


def options_of(prompt: str) -> dict[int, str]:
    """The numbered options of a choice prompt."""
    return {int(number): text for number, text in _NUMBERED.findall(prompt)}


def choose_add_for_truth(prompt: str) -> str:
    """Pick "Add a new rule" for the example's true label, else the first option offered."""
    correct = re.search(r'the correct value is "(.*?)"\.', prompt)
    options = options_of(prompt)
    for number, text in options.items():
        if correct and text == f'Add a new rule for "{correct.group(1)}"':
            return str(number)
    return str(min(options))


@dataclass
class RuleWorld:
    """The pretend model's behaviour; ``model()`` wraps it in a ScriptedModel."""

    truth: dict[str, str]
    fallback: str
    choose: Callable[[str], str] = choose_add_for_truth
    write_rule: Callable[[str], str] = field(default=lambda prompt: "")
    latency: float = 0.0
    fail_when: Callable[[Request], bool] | None = None
    in_flight: int = 0
    peak_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def model(self) -> ScriptedModel:
        return ScriptedModel(responder=self)

    def __call__(self, request: Request) -> str:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            if self.fail_when is not None and self.fail_when(request):
                raise RuntimeError("the service is down")
            return self.answer(request.prompt)
        finally:
            with self._lock:
                self.in_flight -= 1

    def answer(self, prompt: str) -> str:
        kind = prompt_kind(prompt)
        text = example_text(prompt)
        token = token_of(text)
        if kind == "classify":
            return self.classify(prompt, text, token)
        if kind == "feedback":
            return f"No rule mentions {token}."
        if kind == "choose":
            return self.choose(prompt)
        if kind == "initial":
            return "Starting rule."
        written = self.write_rule(prompt)
        return written or f"Mentions {token}."

    def classify(self, prompt: str, text: str, token: str | None) -> str:
        truth = self.truth.get(text)
        if truth is None or token is None:
            return self.fallback
        for label, reasons in _OPTION.findall(prompt):
            if label == truth and re.search(rf"\b{token}\b", reasons):
                return truth
        return self.fallback


def hate_frame(size: int, hateful_every: int = 3, offset: int = 0) -> pd.DataFrame:
    """``size`` comments with tokens kw<offset>..., every ``hateful_every``-th one hateful."""
    rows = [
        (f"comment kw{i} says something", i % hateful_every == 0)
        for i in range(offset, offset + size)
    ]
    return pd.DataFrame(rows, columns=["comment", "isHate"])


def truth_of(
    *frames: pd.DataFrame, column: str = "comment", label: str = "isHate"
) -> dict[str, str]:
    return {
        str(text): str(value)
        for frame in frames
        for text, value in zip(frame[column], frame[label], strict=True)
    }


def requests_of_kind(model: ScriptedModel, kind: str) -> list[Request]:
    return [request for request in model.requests if prompt_kind(request.prompt) == kind]
