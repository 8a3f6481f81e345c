"""Model answers in the shapes the single-run prompts ask for, for scripting the fake model."""

from __future__ import annotations

import json


def decision(action: str, index: int = 0, principle: str = "", reason: str = "why") -> str:
    return json.dumps({"action": action, "index": index, "principle": principle, "reason": reason})


def suggestions(*items: str) -> str:
    return json.dumps({"suggestions": list(items)})


def rewritten(prompt: str) -> str:
    return json.dumps({"prompt": prompt})
