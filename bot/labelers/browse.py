"""The labeler side of `/align list`, `/align show NAME` and `/align rollback NAME VERSION`.

Prompts and labelers share one name space, so these commands look the name up and hand prompts
on to their own handlers. Showing a labeler also draws its accuracy per step, from the training
that made its current version, and uploads the chart where the question was asked.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackClientError

from bot.labelers import views as training_views
from bot.labelers.plot import accuracy_plot_png, plot_notes
from bot.labelers.run_state import RunStore
from bot.labelers.store import CheckpointVersion, LabelerStore, LabelerStoreError
from bot.prompts import views
from bot.prompts.permissions import announce, permitted
from bot.prompts.store import PromptStore
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import MESSAGE_BLOCK_LIMIT, fit_blocks
from bot.slack.origin import Origin

log = logging.getLogger(__name__)


def is_labeler(services: Services, origin: Origin, name: str) -> bool:
    return LabelerStore(services.redis, origin.workspace).exists(name)


def list_everything(services: Services, origin: Origin) -> None:
    """The prompts, then the labelers with their latest test accuracy, in one message."""
    prompts = views.prompt_list(PromptStore(services.redis, origin.workspace).summaries())
    labelers = LabelerStore(services.redis, origin.workspace).summaries()
    labeler_blocks = training_views.labeler_list_blocks(labelers)
    blocks = [*prompts.blocks, *labeler_blocks]
    if len(blocks) <= MESSAGE_BLOCK_LIMIT:
        text = f"{prompts.text}, {len(labelers)} labelers"
        origin.reply_private(block_kit.Message(text=text, blocks=blocks))
        return
    # Too long for one message: the labelers get their own rather than being cut off.
    origin.reply_private(prompts)
    pointer = "Open the App Home tab to browse them."
    labeler_blocks = fit_blocks(labeler_blocks, MESSAGE_BLOCK_LIMIT, pointer)
    origin.reply_private(block_kit.Message(text=f"{len(labelers)} labelers", blocks=labeler_blocks))


def show_labeler(services: Services, origin: Origin, name: str) -> None:
    store = LabelerStore(services.redis, origin.workspace)
    current = store.current(name)
    training = RunStore(services.redis, origin.workspace).running_run_id(name) is not None
    origin.reply_private(
        training_views.labeler_details(
            name,
            current,
            len(store.versions(name)),
            store.latest_scorecard(name),
            training,
            store.notification_settings(name),
        )
    )
    if current is not None:
        share_plot(services, origin, name, current)


def share_plot(services: Services, origin: Origin, name: str, current: CheckpointVersion) -> None:
    """Upload the accuracy chart of the training that saved ``current``, if it is known."""
    run = RunStore(services.redis, origin.workspace).load(current.run_id or "")
    if run is None or not any(result.step <= (current.step or 0) for result in run.history):
        return
    # Step 0 (when scored) and the steps up to the one that saved ``current``.
    steps = [result for result in run.charted_steps if result.step <= (current.step or 0)]
    score_name = str(current.settings.get("hparams", {}).get("score_fn", "accuracy"))
    store = LabelerStore(services.redis, origin.workspace)
    scored = store.latest_scorecard(name)
    notes = plot_notes(
        current.checkpoint,
        run.history[0].step,
        scored[1] if scored and scored[0] == current.version else None,
        store.notification_settings(name).target,
    )
    try:
        origin.client.files_upload_v2(
            channel=origin.channel,
            thread_ts=origin.thread_ts,
            file=accuracy_plot_png(name, steps, score_name, notes),
            filename=f"{name}-accuracy.png",
            title=f"{name}: accuracy per step",
            initial_comment=(
                f"Accuracy per training step of `{name}` up to version {current.version}, "
                f"for <@{origin.user}>."
            ),
        )
    except (SlackClientError, OSError) as error:
        # The details already went out privately; the chart is a bonus.
        log.info("could not share the accuracy chart of %s: %s", name, error)


def roll_back(services: Services, origin: Origin, name: str, version: int) -> None:
    if not permitted(services, origin, "rollback", name):
        return
    try:
        previous = LabelerStore(services.redis, origin.workspace).roll_back(name, version)
    except LabelerStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    announce(origin, training_views.rolled_back(name, origin.user, version, previous))
