"""The README's PromptClient example runs as written, against the fake prompt API and a fake
OpenAI-compatible model server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.alignment.prompt_client.conftest import USES
from tests.fakes.openai_server import FakeOpenAI, prompt_text
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("### Prompts in applications", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_readme_example_fetches_formats_and_runs_the_production_version(
    api: PromptAPIServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add_version("uses", "Draft {item}", label="staging")
    with FakeOpenAI() as model:
        model.queue("1. Cut paper.")
        monkeypatch.setenv("ALIGN_PROMPT_API_URL", api.url)
        monkeypatch.setenv("ALIGN_PROMPT_API_KEY", API_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "local")
        namespace: dict[str, object] = {}
        exec(compile(readme_example(), "README.md", "exec"), namespace)
        (sent,) = model.requests
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("1 ('production',) ('Name at least one creative use.',)")
    assert printed[1] == "1. Cut paper."
    assert namespace["text"] == USES.format(item="scissors")
    assert prompt_text(sent) == USES.format(item="scissors")
