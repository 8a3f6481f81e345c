"""The upstream side of the labeler benchmark: its virtual environment, and one timed train step.

Run by the benchmark's own interpreter, ``ensure_upstream_venv`` and ``run_upstream`` prepare
``bench/.upstream-venv`` (``model-alignment==0.3`` installed with ``--no-deps``, plus the packages
its labeler imports) and run this file inside it. Run by that venv's interpreter, ``main`` times
one upstream ``train_step`` against the simulated model and writes the counters as JSON.

Upstream's ``model_helper`` module imports ``keras_nlp`` (for a Gemma helper) and ``google.genai``
(for its Gemini helper) at module level; the labeler uses neither, so when they are missing they
are replaced by empty modules instead of installing Keras, TensorFlow and the Gemini client.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import types
import venv
from pathlib import Path
from typing import Any

from simulated_model import (
    LABEL_COLUMN,
    TASK_DESCRIPTION,
    TEXT_COLUMN,
    TICKET_LABELS,
    SimulatedModelMixin,
)

BENCH_DIR = Path(__file__).resolve().parent
UPSTREAM_VENV = BENCH_DIR / ".upstream-venv"
UPSTREAM_PACKAGE = "model-alignment==0.3"
# What upstream's labeler imports besides the standard library (read from its source).
UPSTREAM_LABELER_IMPORTS = ("jinja2", "numpy", "pandas", "scikit-learn", "tqdm")


def upstream_python() -> Path:
    return UPSTREAM_VENV / "bin" / "python"


def ensure_upstream_venv(log: Path) -> Path:
    """The upstream venv's interpreter, creating and filling the venv when it is not usable."""
    python = upstream_python()
    if python.exists() and _imports_upstream(python):
        return python
    print(f"Installing {UPSTREAM_PACKAGE} into {UPSTREAM_VENV} (once) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(UPSTREAM_VENV)
    with log.open("a") as out:
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        # Dependencies first: installing upstream last with --no-deps skips its Keras pins.
        subprocess.run([*pip, *UPSTREAM_LABELER_IMPORTS], stdout=out, stderr=out, check=True)
        subprocess.run([*pip, "--no-deps", UPSTREAM_PACKAGE], stdout=out, stderr=out, check=True)
    if not _imports_upstream(python):
        raise RuntimeError(f"{UPSTREAM_VENV} still cannot import model_alignment; see {log}")
    return python


def _imports_upstream(python: Path) -> bool:
    probe = "import jinja2, numpy, pandas, sklearn, tqdm, model_alignment"
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def run_upstream(
    train_csv: Path, validation_csv: Path, latency: float, seed: int, log: Path
) -> dict[str, Any]:
    """Run one upstream train step in its venv; returns the JSON ``main`` writes."""
    python = ensure_upstream_venv(log)
    result_path = log.with_suffix(".json")
    command = [
        str(python),
        str(Path(__file__).resolve()),
        f"--train={train_csv}",
        f"--validation={validation_csv}",
        f"--latency={latency}",
        f"--seed={seed}",
        f"--out={result_path}",
    ]
    # Upstream prints a progress bar per classified example: keep it in the log, off the screen.
    with log.open("a") as out:
        subprocess.run(command, stdout=out, stderr=out, check=True, env={**os.environ})
    result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def _stub_if_missing(name: str, attributes: tuple[str, ...] = ()) -> None:
    """Put an empty module under ``name`` (and its parents) when it cannot be imported."""
    try:
        __import__(name)
    except ImportError:
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module_name = ".".join(parts[:depth])
            module = sys.modules.get(module_name)
            if module is None:
                module = sys.modules[module_name] = types.ModuleType(module_name)
            if depth > 1:
                setattr(sys.modules[".".join(parts[: depth - 1])], parts[depth - 1], module)
        for attribute in attributes:
            setattr(sys.modules[name], attribute, types.ModuleType(f"{name}.{attribute}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--validation", type=Path, required=True)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    _stub_if_missing("keras_nlp")
    _stub_if_missing("google.genai", attributes=("types",))
    import numpy as np
    import pandas as pd
    from model_alignment import labeler as upstream_labeler
    from model_alignment import model_helper

    class UpstreamSimulatedModel(SimulatedModelMixin, model_helper.ModelHelper):
        """The simulated model, seen by upstream as one of its own helpers."""

    # Upstream samples with the global random and numpy generators.
    random.seed(args.seed)
    np.random.seed(args.seed)
    train = pd.read_csv(args.train, dtype=str, keep_default_na=False)
    validation = pd.read_csv(args.validation, dtype=str, keep_default_na=False)
    model = UpstreamSimulatedModel(latency=args.latency)
    labeler = upstream_labeler.Labeler(
        input_names=[TEXT_COLUMN],
        label_name=LABEL_COLUMN,
        label_values=list(TICKET_LABELS),
        task_description=TASK_DESCRIPTION,
        train_model_helper=model,
        eval_model_helper=model,
    )
    checkpoint = labeler.initialize_checkpoint(train)
    starting_rulebook = frozenset(model.rules_written)
    model.stats.reset()
    started = time.perf_counter()
    labeler.train_step(checkpoint, train, validation)
    wall = time.perf_counter() - started
    result = {"wall_seconds": wall, **model.stats.summary(starting_rulebook)}
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
