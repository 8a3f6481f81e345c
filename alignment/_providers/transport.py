"""The HTTP library's failure classes, for helpers whose SDK lets them escape unwrapped.

google-genai sends requests through httpx or its successor httpx2, and both SDKs read streamed
answers straight from the connection, so a connection lost mid-answer surfaces as the HTTP
library's own exception rather than the SDK's.
"""

from __future__ import annotations

import importlib


def _transport_exceptions(name: str) -> tuple[type[Exception], ...]:
    """``name`` from whichever httpx flavours are installed."""
    found: list[type[Exception]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.append(getattr(module, name))
    return tuple(found)


# Timeouts first: they are transport errors too, but deserve their own message.
TRANSPORT_TIMEOUTS = _transport_exceptions("TimeoutException")
TRANSPORT_FAILURES = _transport_exceptions("TransportError")
