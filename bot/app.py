"""The Bolt app: Slack client, request checks, apply-once and noise filtering, then listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App

from bot.dedup import build_dedup_middleware
from bot.event_filter import build_event_filter_middleware
from bot.instrumentation import instrument_app
from bot.log_context import ContextCopyingExecutor
from bot.services import Services

log = logging.getLogger(__name__)

# Listener work (model calls) runs in these threads after the ack; model helpers cap their own
# concurrency, so this only bounds how many requests are in flight at once.
LISTENER_THREADS = 8

Registrar = Callable[[App, Services], None]


def product_registrars() -> list[Registrar]:
    """The listeners the product ships."""
    from bot import listeners

    return [listeners.register]


def build_app(services: Services, registrars: Sequence[Registrar] | None = None) -> App:
    """A Bolt app for ``services``; ``registrars`` add listeners (the product's by default)."""
    app = App(
        client=services.web_client,
        signing_secret=services.settings.slack_signing_secret,
        # Ack first, work after: listeners run in the executor once Slack has its response.
        process_before_response=False,
        # Copies the request's logging context (team, channel...) into the listener's thread.
        listener_executor=ContextCopyingExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="alignbot-listener"
        ),
        logger=logging.getLogger("alignbot.bolt"),
    )
    # Noise first, so the bot's own messages never claim an apply-once key.
    app.use(build_event_filter_middleware())
    app.use(build_dedup_middleware(services.redis))
    for register in product_registrars() if registrars is None else registrars:
        register(app, services)
    # Last, so it sees which requests got past the filters above.
    instrument_app(app, services.metrics)
    return app


def shutdown_listeners(app: App, wait: bool = True) -> None:
    """Let in-flight listener work finish (or drop queued work when ``wait`` is False)."""
    executor = app.listener_runner.listener_executor
    if isinstance(executor, ThreadPoolExecutor):
        executor.shutdown(wait=wait, cancel_futures=not wait)
