"""The ``alignbot`` command: ``serve``, ``events``, ``worker``, ``manifest [--http URL]``,
``labeler ...``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

# Only the standard library and bot.extra at module level. The Slack bot's dependencies (Slack,
# Redis, RQ, dotenv, ...) are the optional `bot` extra: `pip install alignbot` without it must
# still run `alignbot labeler` and `--version`, and the bot's commands must say what to install
# rather than fail with an ImportError. So every bot module is imported inside the command that
# needs it, after the check in _bot_command.
from bot.extra import missing_bot_distributions, missing_extra_message

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

log = logging.getLogger("alignbot")

EXIT_SETTINGS = 2
# Like a missing setting, a missing dependency is something to fix before starting again.
EXIT_MISSING_EXTRA = 3


def _start() -> tuple[Services, App] | int:
    """Settings, services and the Bolt app; or the exit code after saying what is wrong."""
    from bot.config import WHERE_TO_GET, SettingsError, load_settings
    from bot.observability.logs import add_secrets, configure_logging, secrets_of

    configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_SETTINGS
    configure_logging(settings.log_level, log_format=settings.log_format)
    add_secrets(secrets_of(settings))
    from slack_bolt.error import BoltError

    from bot.app import build_app
    from bot.redis_server import EmbeddedRedisUnavailable
    from bot.services import Services

    log.info("starting with %r", settings)
    try:
        services = Services.from_settings(settings)
    except EmbeddedRedisUnavailable as error:
        print(f"alignbot cannot start: {error}", file=sys.stderr)
        return EXIT_SETTINGS
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


def package_version() -> str:
    try:
        return version("alignbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alignbot", description="Shape LLM prompts together in Slack."
    )
    parser.add_argument("--version", action="version", version=f"alignbot {package_version()}")
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
    return _bot_command(args)


def _bot_command(args: argparse.Namespace) -> int:
    missing = missing_bot_distributions()
    if missing:
        print(missing_extra_message(args.command, missing), file=sys.stderr)
        return EXIT_MISSING_EXTRA
    if args.command == "serve":
        return _serve()
    if args.command == "events":
        return _events()
    if args.command == "worker":
        from bot.labelers.jobs.worker import main as worker_main

        return worker_main(burst=args.burst)
    return _manifest(args.http)


if __name__ == "__main__":
    sys.exit(main())
