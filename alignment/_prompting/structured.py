"""Ask a model for JSON: schema-constrained when the helper can, parsed from text otherwise."""

from __future__ import annotations

import json
import re
from typing import Any

from alignment._providers.base import ModelHelper, SupportsStructuredOutput
from alignment.errors import AnswerFormatError

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def parse_json_answer(text: str) -> Any:
    """Read a JSON value from a model answer that may wrap it in prose or a code fence."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        candidate = candidate.strip()
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            pass
        # Prose around a single object or list: take the outermost brackets.
        for opener, closer in (("{", "}"), ("[", "]")):
            start, end = candidate.find(opener), candidate.rfind(closer)
            if 0 <= start < end:
                try:
                    return json.loads(candidate[start : end + 1])
                except json.JSONDecodeError:
                    continue
    raise AnswerFormatError(f"expected a JSON answer, got: {text[:200]!r}")


def ask_json(
    helper: ModelHelper,
    prompt: str,
    schema: dict[str, Any],
    temperature: float = 0.0,
    max_output_tokens: int | None = None,
) -> Any:
    """Return the parsed JSON answer to ``prompt``; raises AnswerFormatError when unreadable."""
    if isinstance(helper, SupportsStructuredOutput):
        text = helper.predict_json(prompt, schema, temperature, max_output_tokens)
    else:
        answer = helper.predict(prompt, temperature, None, 1, max_output_tokens)
        text = answer[0] if isinstance(answer, list) else answer
    return parse_json_answer(text)
