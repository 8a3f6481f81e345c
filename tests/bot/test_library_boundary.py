"""The bot uses the alignment library through its public modules only."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.fakes.bot_harness import REPO_ROOT


def private_imports(source: str) -> list[str]:
    """Every ``alignment._*`` module that ``source`` imports, at any depth of the code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [name for name in modules if name.startswith("alignment._")]
    return found


def test_the_check_sees_every_spelling_of_a_private_import() -> None:
    source = (
        "from alignment._providers.base import ModelHelper\n"
        "import alignment._labeler.types\n"
        "from alignment import _data\n"
        "def f():\n    from alignment._prompting import template\n"
        "from alignment.labeler import Labeler\n"
    )
    assert private_imports(source) == [
        "alignment._providers.base",
        "alignment._providers.base.ModelHelper",
        "alignment._labeler.types",
        "alignment._data",
        "alignment._prompting",
        "alignment._prompting.template",
    ]


def test_no_bot_module_imports_alignment_internals() -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): names
        for path in sorted(Path(REPO_ROOT, "bot").rglob("*.py"))
        if (names := private_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
