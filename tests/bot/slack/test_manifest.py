"""manifest.yml is a valid Slack manifest and declares exactly what the code listens to."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_bolt import App

from bot.app import Registrar, product_manifest, register_product
from bot.services import Services
from bot.slack.manifest import (
    SLACK_METHOD_PREFIXES,
    ListenerInventory,
    load_manifest,
    mismatches,
    scope_problems,
    unused_scopes,
    with_http_endpoints,
)
from tests.fakes.bot_harness import REPO_ROOT
from tests.fakes.slack_emulator import CLIENT_ID, CLIENT_SECRET

# Slack's published app manifest schema (MIT, see LICENSE-manifest-schema beside it).
SCHEMA_PATH = REPO_ROOT / "tests" / "data" / "slack" / "manifest.schema.1.0.0.json"
EVENTS_URL = "https://alignbot.example.com/slack/events"


class RecordingApp(App):
    """A Bolt app that notes every listener registered on it (and registers it as usual)."""

    def __init__(self) -> None:
        super().__init__(
            token="xoxb-recording", signing_secret="recording", token_verification_enabled=False
        )
        self.inventory = ListenerInventory()

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.inventory.event_types.add(_event_type(event))
        return super().event(event, *args, **kwargs)

    def message(self, *args: Any, **kwargs: Any) -> Any:
        self.inventory.event_types.add("message")
        return super().message(*args, **kwargs)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(command, str):
            raise AssertionError(f"declare commands by name, not {command!r}")
        self.inventory.commands.add(command)
        return super().command(command, *args, **kwargs)

    def _interactive(self, register: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.inventory.interactive = True
        return register(*args, **kwargs)

    def action(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().action, *args, **kwargs)

    def block_action(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().block_action, *args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().view, *args, **kwargs)

    def view_submission(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().view_submission, *args, **kwargs)

    def view_closed(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().view_closed, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(constraints, dict) and constraints.get("type") == "message_action"):
            raise AssertionError(
                f"declare message shortcuts as {{'type': 'message_action', 'callback_id': ...}}, "
                f"not {constraints!r}"
            )
        self.inventory.message_shortcuts.add(str(constraints["callback_id"]))
        return self._interactive(super().shortcut, constraints, *args, **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> Any:
        return self._interactive(super().options, *args, **kwargs)


def _event_type(event: Any) -> str:
    if isinstance(event, dict):
        event = event.get("type")
    if not isinstance(event, str):
        raise AssertionError(f"declare event listeners by type name, not {event!r}")
    return event


def listened_by(registrars: list[Registrar], services: Services) -> ListenerInventory:
    app = RecordingApp()
    for register in registrars:
        register(app, services)
    return app.inventory


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def test_socket_mode_manifest_is_valid(schema: dict[str, Any]) -> None:
    manifest = load_manifest()

    jsonschema.validate(manifest, schema)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]


def test_http_variant_is_valid_and_points_everything_at_the_url(schema: dict[str, Any]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "--http", EVENTS_URL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    variant = yaml.safe_load(result.stdout)

    jsonschema.validate(variant, schema)
    assert variant["settings"]["socket_mode_enabled"] is False
    assert variant["settings"]["event_subscriptions"]["request_url"] == EVENTS_URL
    assert variant["settings"]["interactivity"]["request_url"] == EVENTS_URL
    assert {c["url"] for c in variant["features"]["slash_commands"]} == {EVENTS_URL}
    # Everything else is the Socket Mode manifest unchanged.
    original = load_manifest()
    assert variant["oauth_config"] == original["oauth_config"]
    assert (
        variant["settings"]["event_subscriptions"]["bot_events"]
        == original["settings"]["event_subscriptions"]["bot_events"]
    )


def test_plain_manifest_command_prints_the_file_contents() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert yaml.safe_load(result.stdout) == load_manifest()


def test_the_packaged_manifest_equals_the_manifest_file() -> None:
    assert product_manifest() == load_manifest()


def test_every_answer_action_is_a_declared_message_shortcut() -> None:
    shortcuts = load_manifest()["features"]["shortcuts"]
    assert [(s["name"], s["type"]) for s in shortcuts] == [
        ("Kudos", "message"),
        ("Critique", "message"),
        ("Rewrite", "message"),
    ]
    assert load_manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_manifest_command_works_from_the_packages_alone(tmp_path: Path) -> None:
    # What `pip install .` puts on the path: the two packages, no repository around them.
    site = tmp_path / "site"
    for package in ("alignment", "bot"):
        shutil.copytree(
            REPO_ROOT / package, site / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    run_from_copy = (
        "import sys, bot.cli; "
        "assert bot.cli.__file__.startswith(sys.argv[1]), bot.cli.__file__; "
        "sys.exit(bot.cli.main(['manifest']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", run_from_copy, str(site)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == load_manifest()


def test_manifest_declares_exactly_what_the_product_listens_to(services: Services) -> None:
    listened = listened_by([register_product], services)

    problems = mismatches(load_manifest(), listened)
    assert not problems, "\n".join(problems)


def test_the_check_reports_differences_in_both_directions(services: Services) -> None:
    def registers_extra(app: App, services: Services) -> None:
        app.event("member_joined_channel")(lambda: None)
        app.command("/unlisted")(lambda: None)
        app.shortcut({"type": "message_action", "callback_id": "unlisted_action"})(lambda: None)

    declared_only_message = {
        "display_information": {"name": "x"},
        "features": {
            "slash_commands": [{"command": "/align", "description": "d"}],
            "shortcuts": [
                {"name": "n", "type": "message", "callback_id": "declared_only", "description": "d"}
            ],
        },
        "oauth_config": {"scopes": {"bot": ["commands"]}},
        "settings": {"event_subscriptions": {"bot_events": ["message.im"]}},
    }
    listened = listened_by([registers_extra], services)
    problems = mismatches(declared_only_message, listened)

    assert any("'member_joined_channel'" in p and "does not declare" in p for p in problems)
    assert any("'/unlisted'" in p for p in problems)
    assert any("'message'" in p and "no listener" in p for p in problems)
    assert any("'/align'" in p and "no listener" in p for p in problems)
    assert any("'message.im' needs scope 'im:history'" in p for p in problems)
    assert any("'unlisted_action' the manifest does not declare" in p for p in problems)
    assert any("'declared_only' no listener handles" in p for p in problems)


def test_http_variant_does_not_change_the_original() -> None:
    original = load_manifest()
    before = json.dumps(original, sort_keys=True)
    with_http_endpoints(original, EVENTS_URL)
    assert json.dumps(original, sort_keys=True) == before


CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(")


def slack_methods_called_in(package: Path) -> set[str]:
    called = set()
    for source in package.rglob("*.py"):
        called |= set(CALL.findall(source.read_text()))
    return {m for m in called if m.startswith(SLACK_METHOD_PREFIXES)}


def test_every_web_api_method_the_bot_calls_has_its_scope() -> None:
    called = slack_methods_called_in(REPO_ROOT / "bot")

    assert "chat_postMessage" in called  # the scan sees the bot's calls at all
    problems = scope_problems(load_manifest(), called)
    assert not problems, "\n".join(problems)


def test_every_declared_scope_is_needed_by_the_code() -> None:
    called = slack_methods_called_in(REPO_ROOT / "bot")

    assert unused_scopes(load_manifest(), called) == []
    padded = load_manifest()
    padded["oauth_config"]["scopes"]["bot"].append("users:read")
    assert unused_scopes(padded, called) == ["users:read"]


def test_scope_check_reports_a_missing_scope_and_an_unknown_method() -> None:
    manifest = {"oauth_config": {"scopes": {"bot": ["chat:write"]}}}

    problems = scope_problems(manifest, ["chat_postMessage", "files_info", "chat_scheduleMessage"])

    assert problems == [
        "method 'chat_scheduleMessage' has no entry in bot.slack.manifest.METHOD_SCOPES",
        "method 'files_info' needs scope 'files:read'",
    ]


def test_oauth_variant_is_valid_and_installs_into_many_workspaces(
    schema: dict[str, Any], make_services: Callable[..., Services]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "--http", EVENTS_URL, "--oauth"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    variant = yaml.safe_load(result.stdout)

    jsonschema.validate(variant, schema)
    assert variant["oauth_config"]["redirect_urls"] == [
        "https://alignbot.example.com/slack/oauth_redirect"
    ]
    assert variant["settings"]["token_rotation_enabled"] is True
    assert variant["settings"]["org_deploy_enabled"] is True
    assert variant["settings"]["event_subscriptions"]["request_url"] == EVENTS_URL
    # Exactly what the bot listens to in OAuth mode: the uninstall events too.
    oauth_services = make_services(
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_STATE_SECRET="s" * 40,
    )
    problems = mismatches(variant, listened_by([register_product], oauth_services))
    assert not problems, "\n".join(problems)


def test_oauth_needs_an_http_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "--oauth"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--oauth needs --http URL" in result.stderr
