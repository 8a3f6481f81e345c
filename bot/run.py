"""The bot's commands: ``serve``, ``events``, ``worker`` and ``manifest``.

Apart from ``bot.cli`` because these need the bot's optional dependencies (the ``bot`` extra),
while the command line itself must run with the library alone.
"""

from __future__ import annotations

import logging
import sys

from slack_bolt import App
from slack_bolt.error import BoltError

from bot.api.routes import PromptApi
from bot.app import build_app, product_manifest
from bot.compare.recovery import reap_comparisons
from bot.config import WHERE_TO_GET, SettingsError, load_settings
from bot.installs.listeners import retention_of
from bot.installs.pages import redirect_url_for
from bot.installs.retention import Sweeper
from bot.labelers.jobs.runtime import TrainingConfig
from bot.labelers.jobs.worker import InProcessRunner, run_worker
from bot.observability.logs import add_secrets, configure_logging, secrets_of
from bot.redis_server import EmbeddedRedisUnavailable
from bot.services import Services
from bot.slack.manifest import manifest_yaml, with_http_endpoints, with_oauth
from bot.transport.processes import EventProcesses, parent_alive
from bot.transport.server import StopSignal, serve_events
from bot.transport.server import run as run_server

log = logging.getLogger("alignbot")

EXIT_SETTINGS = 2
# The job kinds besides training steps that the reaper brings back when their worker dies.
JOB_WATCHES = (reap_comparisons,)


def services_from_settings() -> Services | int:
    """Logging, settings and services as every command needs them; or the exit code after
    saying what is wrong (every bad setting at once, or no Redis to start)."""
    configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_SETTINGS
    configure_logging(settings.log_level, log_format=settings.log_format)
    add_secrets(secrets_of(settings))
    log.info("starting with %r", settings)
    try:
        return Services.from_settings(settings)
    except EmbeddedRedisUnavailable as error:
        print(f"alignbot cannot start: {error}", file=sys.stderr)
        return EXIT_SETTINGS


def start() -> tuple[Services, App] | int:
    """Settings, services and the Bolt app; or the exit code after saying what is wrong."""
    services = services_from_settings()
    if isinstance(services, int):
        return services
    try:
        return services, build_app(services)
    except BoltError as error:
        # Bolt checks the token with auth.test while building the app.
        services.close()
        print(
            f"alignbot cannot start: Slack refused SLACK_BOT_TOKEN ({error}).\n"
            f"  where: {WHERE_TO_GET['SLACK_BOT_TOKEN']}",
            file=sys.stderr,
        )
        return EXIT_SETTINGS
    except BaseException:
        services.close()
        raise


def serve() -> int:
    started = start()
    if isinstance(started, int):
        return started
    services, app = started

    # Runs training and comparison jobs itself whenever no `alignbot worker` is alive.
    runner = InProcessRunner.for_services(services, watches=JOB_WATCHES).start()
    settings = services.settings
    # Socket Mode acks events itself, over its connection; they are applied right here.
    events = None
    if not settings.socket_mode and settings.event_processes > 0:
        events = EventProcesses(settings.event_processes).start()
    # OAuth mode: removes uninstalled workspaces' data once their grace period is over.
    sweeper = Sweeper(retention_of(services)).start() if settings.oauth else None

    def on_stop() -> None:
        # The runner stops while Redis is still open, so a step under way is handed back to
        # the queue at once instead of waiting out its lease.
        runner.stop()
        if events is not None:
            events.stop()
        if sweeper is not None:
            sweeper.stop()

    api = (
        PromptApi(services.redis, settings.api_requests_per_minute) if settings.prompt_api else None
    )
    try:
        # With no event process of its own, the serving process applies the events it acks.
        run_server(services, app, on_stop=on_stop, api=api, events_here=events is None)
    finally:
        # Already stopped after a normal shutdown; this covers a server that failed to start.
        on_stop()
    return 0


def events() -> int:
    started = start()
    if isinstance(started, int):
        return started
    services, app = started

    stop = StopSignal()
    stop.install()
    serve_events(app, services, stop=stop, keep_going=parent_alive)
    return 0


def worker(burst: bool) -> int:
    """``alignbot worker``: run training steps until stopped (or, with ``burst``, until idle)."""
    services = services_from_settings()
    if isinstance(services, int):
        return services
    try:
        run_worker(
            services,
            TrainingConfig.from_settings(services.settings),
            burst=burst,
            watches=JOB_WATCHES,
        )
    finally:
        services.close()
    return 0


def manifest(http_url: str | None, oauth: bool = False) -> int:
    manifest = product_manifest()
    if http_url:
        manifest = with_http_endpoints(manifest, http_url)
    if http_url and oauth:
        manifest = with_oauth(manifest, redirect_url_for(http_url))
    sys.stdout.write(manifest_yaml(manifest))
    return 0
