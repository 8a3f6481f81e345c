"""Trainings started from Slack race candidates unless the request says otherwise."""

from __future__ import annotations

from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.run_state import RunStore
from tests.bot.labelers.jobs.support import WORKSPACE, World, training_request


def test_racing_is_on_by_default_and_can_be_turned_off(
    runtime: TrainingRuntime, world: World
) -> None:
    runs = RunStore(runtime.redis, WORKSPACE)
    raced = start_training(runtime.services, WORKSPACE, training_request(world.frame))
    run = runs.load(raced.run_id)
    assert run is not None and run.settings["hparams"]["racing"] is True

    full = start_training(
        runtime.services,
        WORKSPACE,
        training_request(world.frame, labeler="hate2", hparams={"racing": False}),
    )
    run = runs.load(full.run_id)
    assert run is not None and run.settings["hparams"]["racing"] is False
