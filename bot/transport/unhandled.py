"""The last listeners: ack every subscribed event that no listener before them took.

Bolt answers a request no listener matches with 404, and Slack retries what was not acked with a
2xx, so an ordinary channel message or a mention that asks nothing would come back again and
again. These take whatever is left, do nothing, and make no apply-once claim: one shape of a
message that nothing wants must not win the claim of its other shape, which something may want.
"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from bot.transport.dedup import apply_nothing

# Every event type the manifest subscribes to (``message.*`` arrive as ``message``).
SUBSCRIBED_EVENT_TYPES = (
    "app_home_opened",
    "app_mention",
    "file_shared",
    "message",
    "reaction_added",
    "reaction_removed",
)


def _left_over() -> bool:
    # Runs only when every listener registered before this one passed on the event.
    apply_nothing()
    return True


def _do_nothing() -> None:
    """Acked already (Bolt acks events itself); there is nothing else to do."""


def register(app: App, services: Services) -> None:
    for event_type in SUBSCRIBED_EVENT_TYPES:
        app.event(event_type, matchers=[_left_over])(_do_nothing)
