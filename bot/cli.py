"""The ``alignbot`` command: ``serve``, ``events``, ``worker``, ``manifest [--http URL]``,
``labeler ...``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import WHERE_TO_GET, SettingsError, load_settings

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

log = logging.getLogger("alignbot")

EXIT_SETTINGS = 2


def _start() -> tuple[Services, App] | int:
    """Settings, services and the Bolt app; or the exit code after saying what is wrong."""
    from bot.observability.logs import add_secrets, configure_logging, secrets_of

    configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_SETTINGS
    add_secrets(secrets_of(settings))
    from slack_bolt.error import BoltError

    from bot.app import build_app
    from bot.services import Services

    log.info("starting with %r", settings)
    services = Services.from_settings(settings)
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


def _serve() -> int:
    started = _start()
    if isinstance(started, int):
        return started
    services, app = started
    from bot.labelers.jobs.worker import InProcessRunner
    from bot.transport.processes import EventProcesses
    from bot.transport.server import run

    # Runs training jobs itself whenever no `alignbot worker` is alive.
    runner = InProcessRunner.for_services(services).start()
    settings = services.settings
    # Socket Mode acks events itself, over its connection; they are applied right here.
    events = None
    if not settings.socket_mode and settings.event_processes > 0:
        events = EventProcesses(settings.event_processes).start()

    def on_stop() -> None:
        # The runner stops while Redis is still open, so a step under way is handed back to
        # the queue at once instead of waiting out its lease.
        runner.stop()
        if events is not None:
            events.stop()

    try:
        # With no event process of its own, the serving process applies the events it acks.
        run(services, app, on_stop=on_stop, events_here=events is None)
    finally:
        # Already stopped after a normal shutdown; this covers a server that failed to start.
        on_stop()
    return 0


def _events() -> int:
    started = _start()
    if isinstance(started, int):
        return started
    services, app = started
    from bot.transport.processes import parent_alive
    from bot.transport.server import StopSignal, serve_events

    stop = StopSignal()
    stop.install()
    serve_events(app, services, stop=stop, keep_going=parent_alive)
    return 0


def _worker(burst: bool) -> int:
    """``alignbot worker``: run training steps until stopped (or, with ``burst``, until idle)."""
    from bot.labelers.jobs.runtime import TrainingConfig
    from bot.labelers.jobs.worker import run_worker
    from bot.observability.logs import add_secrets, configure_logging, secrets_of
    from bot.services import Services

    configure_logging()
    try:
        settings = load_settings()
        config = TrainingConfig.from_settings(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_SETTINGS
    add_secrets(secrets_of(settings))
    services = Services.from_settings(settings)
    try:
        run_worker(services, config, burst=burst)
    finally:
        services.close()
    return 0


def _manifest(http_url: str | None) -> int:
    from bot.slack.app_manifest import app_manifest
    from bot.slack.manifest import manifest_yaml, with_http_endpoints

    manifest = app_manifest()
    if http_url:
        manifest = with_http_endpoints(manifest, http_url)
    sys.stdout.write(manifest_yaml(manifest))
    return 0


def _labeler(argv: Sequence[str]) -> int:
    from alignment.cli import main as labeler_main

    result = labeler_main(list(argv))
    return result if isinstance(result, int) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alignbot", description="Shape LLM prompts together in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set)")
    manifest = commands.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument(
        "--http",
        metavar="URL",
        help="print the HTTP-mode variant, with Slack sending requests to URL "
        "(e.g. https://bot.example.com/slack/events)",
    )
    commands.add_parser(
        "labeler", help="train and use labelers from the command line", add_help=False
    )
    commands.add_parser(
        "events",
        help="apply the Slack events bots have acked (serve starts these; more can run anywhere)",
    )
    worker = commands.add_parser(
        "worker", help="run background training jobs (start any number, on any machine)"
    )
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    # Everything after "labeler" belongs to the labeler's own parser, --help included.
    if args_in[:1] == ["labeler"]:
        return _labeler(args_in[1:])
    args = build_parser().parse_args(args_in)
    if args.command == "serve":
        return _serve()
    if args.command == "events":
        return _events()
    if args.command == "worker":
        return _worker(burst=args.burst)
    return _manifest(args.http)


if __name__ == "__main__":
    sys.exit(main())
