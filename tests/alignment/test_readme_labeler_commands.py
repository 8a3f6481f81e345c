"""Every `alignbot labeler` command the README shows is one the CLI accepts as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from alignment.cli import build_parser

README = Path(__file__).parent.parent.parent / "README.md"


def readme_commands() -> list[str]:
    """The README's `alignbot labeler ...` lines, continuation lines joined."""
    text = README.read_text(encoding="utf-8").replace("\\\n", " ")
    return re.findall(r"^alignbot labeler .+$", text, re.MULTILINE)


def test_the_readme_shows_the_ethos_comparison_with_racing_on_and_off_and_two_experts() -> None:
    ethos = [line for line in readme_commands() if "Ethos_Dataset_Binary.csv" in line]
    assert len(ethos) == 3
    assert sum("--no-racing" in line for line in ethos) == 1
    assert sum("--experts 2" in line for line in ethos) == 1
    assert all("--threshold 0.5" in line for line in ethos)


@pytest.mark.parametrize("line", readme_commands())
def test_each_command_parses(line: str) -> None:
    words = shlex.split(line.replace('"$TASK"', '"Is it hate speech?"'))
    build_parser().parse_args(words[2:])  # exits (and fails the test) on an unknown flag
