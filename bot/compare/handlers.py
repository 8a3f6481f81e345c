"""`/align compare`, `/align apply NAME --compare`, and the buttons of comparisons: "Make
current", "Cancel", and "Apply and compare" under every principle change."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from alignment.errors import AnswerFormatError, TemplateError
from bot.commands.prompts import ApplyAndCompare, ComparePrompt
from bot.compare import views
from bot.compare.cancelling import cancel_comparison
from bot.compare.starting import start_comparison
from bot.compare.state import FINISHED, MADE_CURRENT, ComparisonStore
from bot.prompts.buttons import origin_of
from bot.prompts.history_views import template_diff
from bot.prompts.labels import DEFAULT_LABEL, LabelError, LabelStore
from bot.prompts.permissions import announce, permitted
from bot.prompts.principle_updates import TooBusyError
from bot.prompts.store import PromptStore, PromptStoreError
from bot.prompts.version_commands import folding
from bot.prompts.version_log import StaleVersionError, make_version_current
from bot.prompts.versions import NothingToApplyError, apply_principles
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin
from bot.transport.background import BackgroundWork, PoolFullError

log = logging.getLogger(__name__)


def apply_and_compare(services: Services, origin: Origin, name: str) -> None:
    """Fold the principles into a new version kept aside, then compare it with the current one."""
    if not permitted(services, origin, "apply", name):
        return
    try:
        PromptStore(services.redis, origin.workspace).current(name)
        change = apply_principles(
            services.redis, origin.workspace, name, origin.user, folding(services), False
        )
    except (PromptStoreError, NothingToApplyError, TooBusyError) as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    except (AnswerFormatError, TemplateError) as error:
        origin.reply_private(
            block_kit.error(f"The alignment model's rewrite could not be used: {error}")
        )
        return
    before, after = change.before.version, change.after.version
    diff = template_diff(change.before.prompt.preamble, change.after.prompt.preamble)
    announce(origin, views.kept_aside(name, before, after, origin.user, diff))
    start_comparison(services, origin, name, before, after, pending=True)


def perform_compare_command(
    services: Services, origin: Origin, command: ComparePrompt | ApplyAndCompare
) -> None:
    match command:
        case ApplyAndCompare(name=name):
            apply_and_compare(services, origin, name)
        case ComparePrompt(name=name, a=a, b=b):
            try:
                PromptStore(services.redis, origin.workspace).current(name)
            except PromptStoreError as error:
                origin.reply_private(block_kit.error(str(error)))
                return
            start_comparison(services, origin, name, a, b)


def make_current(services: Services, origin: Origin, compare_id: str, respond: Respond) -> None:
    store = ComparisonStore(services.redis, origin.workspace)
    comparison = store.load(compare_id)
    if comparison is None:
        origin.reply_private(block_kit.error("This comparison has expired; compare again."))
        return
    if not permitted(services, origin, "make-current", comparison.name):
        return
    prompts = PromptStore(services.redis, origin.workspace)
    if not prompts.is_same_prompt(comparison.name, comparison.prompt_id):
        origin.reply_private(block_kit.error(f"`{comparison.name}` no longer exists."))
        return
    claimed = store.claim_status(compare_id, FINISHED, MADE_CURRENT)
    if claimed is None:
        origin.reply_private(
            block_kit.error(f"Version {comparison.b} was already made current from this result.")
        )
        return
    summary = comparison.summary
    why = (
        f"made current after a comparison with version {comparison.a}: B better on "
        f"{summary.get('b_better', 0)}, worse on {summary.get('b_worse', 0)}, tied on "
        f"{summary.get('tied', 0)}"
    )
    try:
        make_version_current(
            services.redis,
            origin.workspace,
            comparison.name,
            comparison.b,
            comparison.current_at_start,
            origin.user,
            why,
        )
    except StaleVersionError:
        store.update(compare_id, status=FINISHED)
        origin.reply_private(
            block_kit.error(
                f"`{comparison.name}` changed since this comparison started, so version "
                f"{comparison.b} was not made current (that would drop the change). Compare "
                f"again: `/align compare {comparison.name}`."
            )
        )
        return
    if comparison.a_was_production:
        # Production follows only from where the comparison found it; a label moved by
        # someone since stays where they put it.
        try:
            LabelStore(services.redis, origin.workspace).move(
                comparison.name,
                DEFAULT_LABEL,
                comparison.b,
                origin.user,
                expected=comparison.a,
            )
        except LabelError as error:
            origin.reply_private(block_kit.error(f"`{DEFAULT_LABEL}` was not moved: {error}"))
    # The button goes, so the result shows what was decided.
    respond(replace_original=True, **views.made_current(comparison, origin.user).as_kwargs())
    announce(origin, views.made_current(comparison, origin.user))


def register(app: App, services: Services, work: BackgroundWork) -> None:
    def make_current_click(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        ack()
        origin = _in_thread(origin_of(body, context, client), body)
        make_current(services, origin, str(body["actions"][0]["value"]), respond)

    def cancel_click(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        origin = origin_of(body, context, client)
        store = ComparisonStore(services.redis, origin.workspace)
        comparison = store.load(str(body["actions"][0]["value"]))
        if comparison is None:
            return
        cancel_comparison(services, origin, comparison)

    def apply_click(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        ack()
        origin = _in_thread(origin_of(body, context, client), body)
        try:
            # The rewrite waits on the model: off the listener threads.
            work.submit(
                "apply and compare",
                apply_and_compare,
                services,
                origin,
                str(body["actions"][0]["value"]),
            )
        except PoolFullError:
            origin.reply_private(block_kit.error("I am busy right now; click again in a minute."))

    app.action(views.MAKE_CURRENT_ACTION)(make_current_click)
    app.action(views.CANCEL_ACTION)(cancel_click)
    app.action(views.APPLY_AND_COMPARE_ACTION)(apply_click)


def _in_thread(origin: Origin, body: dict[str, Any]) -> Origin:
    """The clicked message's thread, so what follows is said beside it."""
    message = body.get("message") or {}
    thread = message.get("thread_ts") or message.get("ts")
    if not thread:
        return origin
    return replace(origin, thread_ts=str(thread))
