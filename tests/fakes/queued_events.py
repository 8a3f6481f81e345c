"""Queue entries as a bot process writes them, for tests that fill the event queue directly."""

from __future__ import annotations

import time
from typing import Any

from bot.transport.event_queue import KEPT_HEADERS, QueuedDelivery
from tests.fakes.slack_signing import SlackSigner


def queued_event(
    signer: SlackSigner,
    event: dict[str, Any],
    age_seconds: float = 0.0,
    event_id: str | None = None,
    secret: str | None = None,
) -> QueuedDelivery:
    """``event`` as if Slack had sent it ``age_seconds`` ago and a bot had acked and queued it
    then, with the signature and timestamp it came with (signed with ``secret`` if given)."""
    sent_at = time.time() - age_seconds
    request = signer.event(event, event_id=event_id, timestamp=int(sent_at), secret=secret)
    headers = {name.lower(): value for name, value in request.headers.items()}
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    return QueuedDelivery(body=request.body, acked_at=sent_at, headers=kept)
