from __future__ import annotations

import subprocess
import sys

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
