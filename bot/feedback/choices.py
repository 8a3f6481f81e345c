"""What happens when someone clicks: a suggested reason, their own reason, or Undo.

A reason is claimed once (``OfferBook.claim``), so a double click, a second person's click or a
retried request changes nothing more. Undo is safe to repeat: the second one finds the change
undone already and says so.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.feedback import views as feedback_views
from bot.feedback.learning import (
    FeedbackTargetGoneError,
    learn_and_announce,
    load_answer,
    tell_privately,
)
from bot.feedback.offers import Offer, OfferBook
from bot.feedback.undo import undo_change
from bot.keys import Workspace
from bot.services import Services
from bot.slack.blocks import Message

log = logging.getLogger(__name__)


def split_choice(value: str) -> tuple[str, int]:
    """A reason button's value: ``token:number``."""
    token, _, number = value.rpartition(":")
    return token, int(number)


def owner_check(client: WebClient, offer: Offer | None, clicker: str) -> bool:
    """True when ``clicker`` reacted (or no offer is left); tells anyone else whose it is."""
    if offer is None or offer.target.user == clicker:
        return True
    tell_privately(
        client,
        offer.target.channel,
        clicker,
        offer.thread_ts,
        feedback_views.not_your_reasons(offer.target.user),
    )
    return False


def use_reason(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    token: str,
    clicker: str,
    reason: str | None = None,
    number: int | None = None,
) -> None:
    """Turn the chosen reason (suggestion ``number``, or the person's own) into feedback."""
    book = OfferBook(services.redis, workspace)
    if not owner_check(client, book.peek(token), clicker):
        return
    offer = book.claim(token)
    if offer is None:
        return  # chosen already, or the reaction was taken back
    text = reason if reason is not None else offer.reasons[number or 0]
    if offer.message_ts:
        chosen = feedback_views.reason_chosen(
            offer.target.user, offer.target.reaction, offer.kind, text
        )
        try:
            client.chat_update(
                channel=offer.target.channel, ts=offer.message_ts, **chosen.as_kwargs()
            )
        except SlackApiError as error:
            log.info("could not mark the reasons as chosen: %s", error.response.get("error"))
    try:
        ref = load_answer(services, workspace, offer.run_id, offer.candidate)
    except FeedbackTargetGoneError:
        return
    learn_and_announce(services, workspace, client, ref, offer.kind, text, offer.target.user)


def undo(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    value: str,
    clicker: str,
    message: dict[str, object],
    channel: str,
) -> None:
    """Undo the change a change message shows; mark that message, and say what happened."""
    prompt, version = feedback_views.read_undo_value(value)
    outcome = undo_change(services.redis, workspace, prompt, version, clicker)
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "") or None
    if outcome.status == "undone" and outcome.version is not None:
        blocks = message.get("blocks")
        shown = Message(
            text=str(message.get("text") or ""),
            blocks=[b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else [],
        )
        marked = feedback_views.change_marked_undone(shown, clicker, outcome.version.version)
        try:
            client.chat_update(channel=channel, ts=str(message.get("ts")), **marked.as_kwargs())
        except SlackApiError as error:
            log.info("could not mark the change undone: %s", error.response.get("error"))
        summary = outcome.message[:1].upper() + outcome.message[1:]
        text = f"{summary} (`{prompt}` is now version {outcome.version.version})."
    else:
        text = outcome.message
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            **feedback_views.undo_result(clicker, text).as_kwargs(),
        )
    except SlackApiError as error:
        log.info("could not report the undo: %s", error.response.get("error"))
