"""The "Save as example" button under a run's answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.examples import views
from bot.examples.handlers import save_run_answer
from bot.prompts.buttons import origin_of
from bot.prompts.permissions import external_allowed
from bot.prompts.runs import RunStore
from bot.services import Services
from bot.slack import blocks as block_kit


def register(app: App, services: Services) -> None:
    def save_example(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        origin = origin_of(body, context, client)
        if not external_allowed(services, origin):
            return
        # The message the button sits on says which run and answer it shows.
        ts = str(
            (body.get("message") or {}).get("ts")
            or (body.get("container") or {}).get("message_ts")
            or ""
        )
        runs = RunStore(services.redis, origin.workspace)
        pointer = runs.answer_at(origin.channel, ts) if ts else None
        run = runs.get(pointer.run_id) if pointer is not None else None
        if pointer is None or run is None:
            origin.reply_private(
                block_kit.error("This answer's run is no longer stored; nothing was saved.")
            )
            return
        origin.reply_private(save_run_answer(services, origin, run, pointer.candidate))

    app.action(views.SAVE_EXAMPLE_ACTION)(save_example)
