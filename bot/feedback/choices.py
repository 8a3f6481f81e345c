"""What happens when someone clicks: a suggested reason, their own reason, or Undo.

A reason is claimed once (``OfferBook.claim``), so a double click, a second person's click or a
retried request changes nothing more. Undo is safe to repeat: the second one finds the change
undone already and says so.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.admins import AdminPolicy
from bot.feedback import views as feedback_views
from bot.feedback.learning import (
    FeedbackTargetGoneError,
    learn_and_announce,
    load_answer,
)
from bot.feedback.offers import Offer, OfferBook
from bot.feedback.undo import undo_change
from bot.keys import Workspace
from bot.prompts.audit import AuditLog
from bot.prompts.store import PromptStore
from bot.prompts.version_log import note_of
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Message
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.private import tell_privately

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


def undo_refusal(
    services: Services, workspace: Workspace, value: str, clicker: str, external: bool = False
) -> str | None:
    """Why ``clicker`` may not press this Undo button, or None when they may.

    A button made for a prompt since deleted must not act on a new prompt of the same name;
    and with ``ALIGN_ADMINS`` set, only the person who gave the feedback, or an admin, may
    take it back.
    """
    if external and not services.settings.allow_external_users:
        return EXTERNAL_REFUSAL
    prompt, version = feedback_views.read_undo_value(value)
    store = PromptStore(services.redis, workspace)
    if store.exists(prompt) and not store.is_same_prompt(
        prompt, feedback_views.read_undo_identity(value)
    ):
        return (
            f"This change belongs to a deleted prompt `{prompt}`; the prompt named so now is "
            "another one, so nothing was undone."
        )
    note = note_of(services.redis, workspace, prompt, version)
    policy = AdminPolicy(services.settings.admins)
    if note is not None and not policy.allows(clicker, "undo", owner=note.user):
        AuditLog(services.redis, workspace).record(clicker, "undo-refused", prompt, "not an admin")
        return f"{policy.refusal('undo')} <@{note.user}>, who gave the feedback, may undo it too."
    return None


def undo(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    value: str,
    clicker: str,
    message: dict[str, object],
    channel: str,
    external: bool = False,
) -> None:
    """Undo the change a change message shows; mark that message, and say what happened."""
    prompt, version = feedback_views.read_undo_value(value)
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "") or None
    refusal = undo_refusal(services, workspace, value, clicker, external)
    if refusal is not None:
        tell_privately(client, channel, clicker, thread_ts, block_kit.error(refusal))
        return
    outcome = undo_change(services.redis, workspace, prompt, version, clicker)
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
