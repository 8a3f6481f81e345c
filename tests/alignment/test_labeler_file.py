"""The labeler file the command line writes after every step and reads to label new data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignment._labeler.file import LabelerFile
from alignment.errors import LabelerFileError


def sample() -> LabelerFile:
    return LabelerFile(
        settings={"label_name": "isHate", "label_values": [False, True]},
        checkpoint={"attributes": [{"id": "R1", "value": "Insults", "label": True}]},
        models={"train": "gemini:gemini-2.5-pro", "eval": "gemini:gemini-2.5-flash"},
        scorecards=[{"step": 1, "scorecard": {"accuracy": 0.75}}],
        data={"file": "data.csv", "rows": 40},
    )


def test_save_then_load_gives_back_the_same_content(tmp_path: Path) -> None:
    path = tmp_path / "labeler.json"
    sample().save(path)
    assert LabelerFile.load(path) == sample()
    assert json.loads(path.read_text())["settings"]["label_values"] == [False, True]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_saving_again_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "labeler.json"
    first = sample()
    first.save(path)
    first.scorecards.append({"step": 2, "scorecard": {"accuracy": 0.9}})
    first.save(path)
    assert [s["step"] for s in LabelerFile.load(path).scorecards] == [1, 2]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no labeler file at"),
        ('{"kind": "alignbot-labeler", "format": 1, "settings": {', "not valid JSON (line 1)"),
        ('{"attributes": []}', "is not a labeler file saved by 'alignbot labeler train'"),
        ('{"kind": "alignbot-labeler", "format": 99}', "format 99"),
        ('{"kind": "alignbot-labeler", "format": 1, "settings": {}}', "missing its settings"),
    ],
)
def test_unusable_files_are_explained(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "labeler.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LabelerFileError, match=says.replace("(", r"\(").replace(")", r"\)")):
        LabelerFile.load(path)
