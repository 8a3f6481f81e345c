"""The pages an installer sees when Slack sends them back: installed, or what went wrong."""

from __future__ import annotations

import html

from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.response import BoltResponse

from bot.installs.owner import Owner

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"


def redirect_url_for(events_url: str) -> str:
    """Where Slack sends installers back, beside the events URL the bot serves."""
    base = events_url.rstrip("/").removesuffix(EVENTS_PATH)
    return base + REDIRECT_PATH


# Bolt's failure reasons, each with what happened and what to do, in the installer's words.
FAILURES = {
    "access_denied": "The installation was cancelled in Slack. Nothing was installed.",
    "invalid_browser": (
        "This browser did not start the installation (its install cookie is missing). Finish "
        "the installation in the browser you started it in, or start again."
    ),
    "invalid_state": (
        "This install link has expired or was already used. Install links work once, for ten "
        "minutes."
    ),
    "missing_code": "Slack sent no install code. Start the installation again.",
    "invalid_code": (
        "Slack did not accept the install code (it may have been used already). Start the "
        "installation again."
    ),
    "storage_error": "The installation could not be saved. Try again in a minute.",
}
UNKNOWN_FAILURE = "The installation did not finish. Start it again."


def page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _html(status: int, text: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=text,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


def succeeded(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    owner = Owner.of(
        installation.enterprise_id, installation.team_id, installation.is_enterprise_install
    )
    where = installation.enterprise_name if owner.team_id is None else installation.team_name
    name = html.escape(where or owner.team_id or owner.enterprise_id or "your workspace")
    return _html(
        200,
        page(
            "alignbot is installed",
            [
                f"alignbot is installed in <strong>{name}</strong>.",
                "Go back to Slack, invite it to a channel with <code>/invite @alignbot</code> "
                "and type <code>/align help</code>.",
            ],
        ),
    )


def failed(args: FailureArgs) -> BoltResponse:
    reason = FAILURES.get(args.reason, UNKNOWN_FAILURE)
    start_again = f"<a href='{INSTALL_PATH}'>Start the installation again</a>."
    return _html(
        args.suggested_status_code,
        page("alignbot was not installed", [html.escape(reason), start_again]),
    )


CALLBACKS = CallbackOptions(success=succeeded, failure=failed)
