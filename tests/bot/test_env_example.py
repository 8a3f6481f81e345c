"""``.env.example`` names every setting the bot reads, and nothing the bot does not read."""

from __future__ import annotations

import ast
import re

from tests.fakes.bot_harness import REPO_ROOT

ENV_EXAMPLE = REPO_ROOT / ".env.example"
SETTINGS_SOURCE = REPO_ROOT / "bot" / "config.py"

SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# `NAME=value` or, for optional settings, `# NAME=value`.
EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_read_in(source: str) -> set[str]:
    """Names passed as literals to ``get(...)`` and the keys of ``WHERE_TO_GET``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get":
            names.update(_string_literals(node.args[:1]))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target_names = {t.id for t in targets if isinstance(t, ast.Name)}
            if "WHERE_TO_GET" in target_names and isinstance(node.value, ast.Dict):
                names.update(_string_literals([k for k in node.value.keys if k is not None]))
    return {name for name in names if SETTING_NAME.fullmatch(name)}


def _string_literals(nodes: list[ast.expr]) -> set[str]:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def settings_in_example(text: str) -> set[str]:
    return set(EXAMPLE_LINE.findall(text))


def read_settings() -> set[str]:
    return settings_read_in(SETTINGS_SOURCE.read_text())


def test_every_setting_the_bot_reads_is_in_env_example() -> None:
    read = read_settings()
    # The parser found the settings module's reads at all (a rename would otherwise pass).
    assert {"SLACK_BOT_TOKEN", "ALIGN_MODEL", "ALIGN_TRAIN_LEASE_SECONDS"} <= read
    assert sorted(read - settings_in_example(ENV_EXAMPLE.read_text())) == []


def test_env_example_names_nothing_the_bot_ignores() -> None:
    assert sorted(settings_in_example(ENV_EXAMPLE.read_text()) - read_settings()) == []


def test_every_setting_in_env_example_has_a_comment_line_above_it() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if EXAMPLE_LINE.match(line):
            earlier = [previous for previous in lines[:index] if previous.strip()]
            above = earlier[-1] if earlier else ""
            comment = above.startswith("#") and not EXAMPLE_LINE.match(above)
            assert comment, f"{line!r} has no comment of its own"


def test_the_parsers_see_a_new_setting_and_a_missing_one() -> None:
    source = (
        'WHERE_TO_GET = {"ALIGN_A": "x"}\n'
        "def load(get):\n"
        '    return get("ALIGN_C"), get(name), other("ALIGN_D")\n'
    )
    assert settings_read_in(source) == {"ALIGN_A", "ALIGN_C"}
    example = "# about A\nALIGN_A=1\n# about C\n# ALIGN_C=\nnot_a_setting=1\n"
    assert settings_in_example(example) == {"ALIGN_A", "ALIGN_C"}
