"""The ``alignbot`` command: ``serve``, ``events``, ``worker``, ``manifest [--http URL]``,
``labeler ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

# Only the standard library and bot.extra at module level. The Slack bot's dependencies (Slack,
# Redis, RQ, dotenv, ...) are the optional `bot` extra: `pip install alignbot` without it must
# still run `alignbot labeler` and `--version`, and the bot's commands must say what to install
# rather than fail with an ImportError. So the bot's commands (bot.run) are imported only after
# the check in _bot_command, and the labeler's only when it runs.
from bot.extra import missing_bot_distributions, missing_extra_message

# Like a missing setting, a missing dependency is something to fix before starting again.
EXIT_MISSING_EXTRA = 3


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
    manifest.add_argument(
        "--oauth",
        action="store_true",
        help="with --http: installed into many workspaces through Slack's OAuth flow "
        "(redirect URL beside URL, token rotation, uninstall events)",
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
    parser = build_parser()
    args = parser.parse_args(args_in)
    if args.command == "manifest" and args.oauth and not args.http:
        parser.error("--oauth needs --http URL: Slack sends installers back to an HTTP URL")
    return _bot_command(args)


def _bot_command(args: argparse.Namespace) -> int:
    missing = missing_bot_distributions()
    if missing:
        print(missing_extra_message(args.command, missing), file=sys.stderr)
        return EXIT_MISSING_EXTRA
    # Only now, with the extra known to be installed: see the note on imports at the top.
    from bot import run

    if args.command == "serve":
        return run.serve()
    if args.command == "events":
        return run.events()
    if args.command == "worker":
        return run.worker(burst=args.burst)
    return run.manifest(args.http, oauth=args.oauth)


if __name__ == "__main__":
    sys.exit(main())
