"""A reaction on a bot answer: offer reasons (kudos, critique) or ask for a reply (a rewrite).

Which of the two a kind gets is its ``on_reaction`` in ``bot.feedback.kinds``.

The reacted-to message decides everything: it points at the run, the candidate it shows and
therefore the prompt version that produced it. Reactions on any other message are ignored.
"""

from __future__ import annotations

import dataclasses
import logging

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alignment.errors import AlignmentError
from bot.feedback import views as feedback_views
from bot.feedback.kinds import FEEDBACK_KINDS
from bot.feedback.learning import (
    FeedbackTargetGoneError,
    load_answer,
    post_in_thread,
    prompt_gone,
    suggest_reasons,
    within_budget,
)
from bot.feedback.offers import (
    OFFER_TTL_SECONDS,
    Offer,
    OfferBook,
    ReactionTarget,
    new_token,
)
from bot.keys import Workspace
from bot.prompts.runs import RunStore
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.failure_text import failure_reason
from bot.slack.private import tell_privately

log = logging.getLogger(__name__)


def reaction_target(event: dict[str, object]) -> ReactionTarget | None:
    """The person, emoji and message of a reaction event; None unless it is on a message."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        return None
    channel, ts = item.get("channel"), item.get("ts")
    user, reaction = event.get("user"), event.get("reaction")
    if not (channel and ts and user and reaction):
        return None
    return ReactionTarget(str(channel), str(ts), str(user), str(reaction))


def remove_message(client: WebClient, channel: str, ts: str) -> None:
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as error:
        log.info("could not remove withdrawn offer %s: %s", ts, error.response.get("error"))


def reaction_added(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    target: ReactionTarget,
    external: bool = False,
) -> None:
    kind = services.settings.reactions.kind_of(target.reaction)
    if kind is None:
        return
    spec = FEEDBACK_KINDS.get(kind)
    pointer = RunStore(services.redis, workspace).answer_at(target.channel, target.item_ts)
    if pointer is None:
        return  # not one of the bot's answers
    try:
        ref = load_answer(services, workspace, pointer.run_id, pointer.candidate)
    except FeedbackTargetGoneError:
        return
    # Said only about reactions on the bot's answers, so other reactions never draw a notice.
    gone = prompt_gone(services, workspace, ref.run)
    if external and not services.settings.allow_external_users:
        gone = EXTERNAL_REFUSAL
    if gone is not None:
        notice = block_kit.error(gone)
        tell_privately(client, target.channel, target.user, ref.run.thread_ts, notice)
        return
    book = OfferBook(services.redis, workspace)
    offer = Offer(new_token(), target, kind, ref.run.run_id, ref.candidate, ref.run.thread_ts)
    if not book.begin(offer):
        return  # reasons for this very reaction are already on their way or shown
    if spec.asks_for_reply:
        message = feedback_views.reply_request(target.user, target.reaction, kind)
    else:
        if not within_budget(services, workspace, client, ref.run, target.user, calls=1):
            book.abandon(offer)
            return
        try:
            reasons = suggest_reasons(services, workspace, ref, kind)
        except (AlignmentError, redis.RedisError) as error:  # say so, and how to go on anyway
            log.warning("suggesting reasons failed: %s", error, exc_info=True)
            book.abandon(offer)
            problem = (
                f"no reasons could be suggested ({failure_reason(error)}). "
                f"Reply with `{spec.prefix}: ...` instead."
            )
            post_in_thread(
                client, ref.run, feedback_views.feedback_failed(target.user, kind, problem)
            )
            return
        offer = dataclasses.replace(offer, reasons=reasons)
        message = feedback_views.reason_offer(
            target.user, target.reaction, kind, reasons, offer.token
        )
    ts = post_in_thread(client, ref.run, message)
    if ts is None:
        book.abandon(offer)
        return
    if not book.posted(offer, ts):
        remove_message(client, target.channel, ts)  # the reaction was removed meanwhile
        return
    if spec.asks_for_reply:
        waiting = workspace.keys.awaiting_rewrite(target.channel, ref.run.thread_ts, target.user)
        services.redis.set(waiting, offer.token, ex=OFFER_TTL_SECONDS)


def reaction_removed(
    services: Services, workspace: Workspace, client: WebClient, target: ReactionTarget
) -> None:
    if services.settings.reactions.kind_of(target.reaction) is None:
        return
    message_ts = OfferBook(services.redis, workspace).withdraw(target)
    if message_ts is not None:
        remove_message(client, target.channel, message_ts)
