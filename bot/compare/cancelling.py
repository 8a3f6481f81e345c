"""Stopping comparisons: the Cancel button on a progress message and `/align cancel NAME` both
come here, so they check and say the same things."""

from __future__ import annotations

from bot.compare import views
from bot.compare.state import Comparison, ComparisonStore
from bot.prompts.permissions import permitted
from bot.services import Services
from bot.slack.origin import Origin


def cancel_comparison(services: Services, origin: Origin, comparison: Comparison) -> bool:
    """Ask the comparison's job to stop, if the person may; False (and told why) if not."""
    if not permitted(services, origin, "cancel", comparison.name, owner=comparison.user):
        return False
    ComparisonStore(services.redis, origin.workspace).request_cancel(
        comparison.compare_id, origin.user
    )
    origin.reply_private(views.cancel_asked(comparison, origin.user))
    return True


def cancel_comparisons_of(services: Services, origin: Origin, name: str) -> int:
    """Stop the queued or running comparisons of prompt ``name``; how many were asked to stop
    (0 when none runs: the caller says there is nothing to stop)."""
    live = ComparisonStore(services.redis, origin.workspace).live_of(name)
    return sum(cancel_comparison(services, origin, comparison) for comparison in live)
