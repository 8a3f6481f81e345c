"""A real training run through RQ jobs is counted: steps by outcome, their model calls by model,
and log lines naming the workspace, labeler and run."""

from __future__ import annotations

from collections.abc import Callable

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.jobs.worker import run_burst
from tests.bot.labelers.jobs.conftest import clock, make_runtime, runtime, world  # noqa: F401 (fixtures)
from tests.bot.labelers.jobs.support import WORKSPACE, World, training_request
from tests.bot.observability.conftest import CapturedLog
from tests.fakes.models import ScriptedModel


def test_training_steps_and_their_model_calls_are_counted(
    runtime: TrainingRuntime,  # noqa: F811 (the fixture imported above)
    world: World,  # noqa: F811
    bot_log: Callable[..., CapturedLog],
) -> None:
    services = runtime.services
    model = services.models[services.settings.effective_train_model_spec]
    assert isinstance(model, ScriptedModel)
    log = bot_log()

    handle = start_training(services, WORKSPACE, training_request(world.frame, steps=2))
    assert run_burst(runtime)

    metrics = services.metrics
    assert metrics.sample("alignbot_jobs_total", kind="training_step", outcome="done") == 1
    assert metrics.sample("alignbot_jobs_total", kind="training_step", outcome="finished") == 1
    spec = services.settings.effective_train_model_spec
    assert metrics.sample("alignbot_model_calls_total", model=spec) == len(model.requests) > 0

    step_lines = log.matching(lambda line: line.get("job", "").startswith("train-"))
    assert step_lines
    for line in step_lines:
        assert line["team"] == WORKSPACE.team_id
        assert line["prompt"] == "hate"  # the labeler's name
        assert line["run"] == handle.run_id
