"""Watch every request the Bolt app serves: how long its ack took, what it was, what became of it.

Both runners (the HTTP handler and Socket Mode) hand each request to ``App.dispatch`` and send
back whatever it returns, once a listener has acked; so timing ``dispatch`` is timing the ack.
Each request is dispatched in a fresh logging context holding its team, channel, user and event
ids, which listener threads inherit (see ``bot.observability.context``).

A middleware added after the apply-once and noise filters marks the requests that got past
them. Whether an admitted event is handled or a dropped repeat is known once its apply-once
claim is made, just after the ack (see ``bot.transport.dedup``); it is counted then. Both get a 200.

Events API deliveries over HTTP are acked and counted (``queued``) by ``bot.transport.handoff``
before Bolt sees them; when an event process dispatches one, what is measured is how long it
waited from its ack to being applied or dropped (``alignbot_event_wait_seconds``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.observability.context import bind_log_fields, run_in_fresh_context
from bot.observability.metrics import BotMetrics
from bot.transport.dedup import pending_claim

log = logging.getLogger(__name__)

_ADMITTED = "alignbot_admitted"
# Set on a delivery that a bot process acked and queued (see ``bot.transport.pump``): when, in
# seconds since the epoch.
QUEUED_AT = "alignbot_queued_at"
UNVERIFIED = "unverified"
OTHER = "other"
# Label values come from request bodies, so only these are kept and the rest count as "other":
# a label value per made-up type would make a new series, and one that is never forgotten.
EVENT_TYPES = frozenset(
    {
        # What the app subscribes to (manifest.yml), and what Slack sends every app.
        "app_home_opened",
        "app_mention",
        "file_shared",
        "message",
        "reaction_added",
        "reaction_removed",
        "app_uninstalled",
        "tokens_revoked",
    }
)
INTERACTION_TYPES = frozenset(
    {
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
        "interactive_message",
        "dialog_submission",
    }
)
# Requests Slack makes about the app itself rather than for a person.
ENVELOPE_TYPES = frozenset({"url_verification", "ssl_check", "app_rate_limited"})
KNOWN_TYPES = EVENT_TYPES | INTERACTION_TYPES | ENVELOPE_TYPES | {"slash_command", UNVERIFIED}


def request_type(body: Mapping[str, Any]) -> str:
    """``app_mention``, ``reaction_added``, ``slash_command``, ``block_actions``, ... or
    ``other`` for anything not in :data:`KNOWN_TYPES`."""
    if "command" in body:
        return "slash_command"
    if "ssl_check" in body:
        return "ssl_check"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) and kind in KNOWN_TYPES else OTHER


def request_kind(type_: str) -> str:
    """The coarse kind the ack histogram is labelled with: event, command or interaction."""
    if type_ == "slash_command":
        return "command"
    if type_ in INTERACTION_TYPES:
        return "interaction"
    return "other" if type_ in {OTHER, UNVERIFIED} else "event"


def outcome_of(status: int, admitted: bool) -> str:
    if status in (401, 403):
        return "rejected"
    if status == 404:
        return "unhandled"
    if status >= 400:
        return "error"
    return "handled" if admitted else "dropped"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _bind_request_fields(request: BoltRequest) -> None:
    context, body = request.context, _dict(request.body)
    event = _dict(body.get("event"))
    bind_log_fields(
        team=context.team_id,
        enterprise=context.enterprise_id,
        channel=context.channel_id,
        user=context.user_id,
        event=body.get("event_id") if isinstance(body.get("event_id"), str) else None,
    )
    if event and not context.channel_id:
        # Reactions name their channel under "item".
        bind_log_fields(channel=_dict(event.get("item")).get("channel"))


class _MarkAdmitted(Middleware):
    # A Middleware, not a function: Bolt would build every injectable argument for a function.
    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        req.context[_ADMITTED] = True
        return next()


def instrument_app(
    app: App, metrics: BotMetrics, clock: Callable[[], float] = time.perf_counter
) -> None:
    """Time and count every request ``app`` dispatches; call once the app's middleware is set."""
    app.use(_MarkAdmitted())
    dispatch = app.dispatch

    def timed_dispatch(request: BoltRequest) -> BoltResponse:
        started = clock()
        response: BoltResponse | None = None
        try:
            _bind_request_fields(request)
            response = dispatch(request)
            return response
        finally:
            status = response.status if response is not None else 500
            type_ = request_type(_dict(request.body))
            if status in (401, 403):
                # An unsigned body may say anything; its type must not become a label value.
                type_ = UNVERIFIED
            outcome = outcome_of(status, bool(request.context.get(_ADMITTED)))
            acked_at = request.context.get(QUEUED_AT)
            if isinstance(acked_at, float):
                # Acked by a bot process when it was queued; what is left to count is its fate.
                _count_when_known(
                    outcome,
                    lambda fate: metrics.observe_event_wait(type_, fate, time.time() - acked_at),
                )
            else:
                metrics.ack_seconds.labels(request_kind(type_)).observe(clock() - started)
                _count_when_known(outcome, lambda fate: metrics.events.labels(type_, fate).inc())

    def dispatch_in_fresh_context(request: BoltRequest) -> BoltResponse:
        return run_in_fresh_context(timed_dispatch, request)

    # An instance attribute shadows the method: both runners call ``app.dispatch(request)``.
    app.dispatch = dispatch_in_fresh_context  # type: ignore[method-assign,assignment]


def _count_when_known(outcome: str, record: Callable[[str], None]) -> None:
    """``record(outcome)``; for a handled delivery, once its apply-once claim says whether it
    was applied ("handled") or a repeat ("dropped"), which is known only after the ack."""
    claim = pending_claim()
    if outcome == "handled" and claim is not None:
        claim.when_settled(lambda won: record("handled" if won else "dropped"))
    else:
        record(outcome)
