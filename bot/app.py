"""The Bolt app: Slack client, request checks, apply-once and noise filtering, then listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App

from bot.commands import listeners as command_listeners
from bot.feedback import listeners as feedback_listeners
from bot.feedback.actions import ANSWER_ACTIONS
from bot.home import listeners as home_listeners
from bot.installs import listeners as install_listeners
from bot.installs.oauth import app_options
from bot.labelers import listeners as labeler_listeners
from bot.observability.instrumentation import instrument_app
from bot.prompts import listeners as prompt_listeners
from bot.services import Services
from bot.slack.app_manifest import app_manifest
from bot.transport import unhandled
from bot.transport.background import background_work_of
from bot.transport.dedup import ApplyOnceExecutor, build_dedup_middleware
from bot.transport.noise import build_event_filter_middleware

log = logging.getLogger(__name__)

# Bolt runs listener ack functions here (and, for events, the listener itself); anything slow is
# handed to the background pool (bot.transport.background), so these threads only do quick work.
LISTENER_THREADS = 8

Registrar = Callable[[App, Services], None]


def register_product(app: App, services: Services) -> None:
    """The listeners the product ships, in the order Bolt should try them."""
    # The pool Bolt's lazy listeners run in; the feedback listeners hand their work to it too.
    work = background_work_of(app)
    # First: these match only their own events, and each listener tried costs ack time.
    feedback_listeners.register_interactions(app, services, work)
    prompt_listeners.register(app, services)
    home_listeners.register(app, services, work)
    command_listeners.register(app, services, work)
    # Before the thread-reply listener of feedback, which takes the replies left over.
    labeler_listeners.register(app, services)
    feedback_listeners.register_replies(app, services, work)
    # Uninstalls (OAuth mode only).
    install_listeners.register(app, services)
    # Last: acks whatever no listener above took, so Slack does not retry it.
    unhandled.register(app, services)


def product_manifest() -> dict[str, Any]:
    """The Slack app manifest of what ``register_product`` listens to (Socket Mode)."""
    return app_manifest(shortcuts=ANSWER_ACTIONS.manifest_shortcuts())


def build_app(services: Services, registrars: Sequence[Registrar] | None = None) -> App:
    """A Bolt app for ``services``; ``registrars`` add listeners (the product's by default)."""
    app = App(
        client=services.web_client,
        signing_secret=services.settings.slack_signing_secret,
        # Ack first, work after: listeners run in the executor once Slack has its response.
        process_before_response=False,
        # Copies the request's context (log fields, its apply-once claim) into the listener's
        # thread, and runs a listener only once its delivery has won its claim.
        listener_executor=ApplyOnceExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="alignbot-listener"
        ),
        logger=logging.getLogger("alignbot.bolt"),
        # OAuth mode: the install flow, and each request's token from the installations.
        **app_options(services),
    )
    # Lazy listeners (model work) run in the one background pool, not among the acks.
    background_work_of(app)
    # Noise first, so the bot's own messages never claim an apply-once key.
    app.use(build_event_filter_middleware())
    app.use(build_dedup_middleware(services.redis))
    for register in [register_product] if registrars is None else registrars:
        register(app, services)
    # Last, so it sees which requests got past the filters above.
    instrument_app(app, services.metrics)
    return app
