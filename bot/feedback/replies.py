"""A person's reply in a run's thread: feedback by prefix, by request, or by the model's reading.

In order: a kind's prefix at the start (``critique:``, ``kudos:``, ``rewrite:``; the bot may be
mentioned first) decides; a reply from someone the bot asked to reply (after a rewrite reaction)
is feedback of that reaction's kind, about the answer they reacted to; anything else is shown to
the alignment model, and left alone unless it calls it feedback. Prefixed and classified replies
are about the newest answer in the thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from alignment.single_run import classify_reply
from bot.commands.text import resolve_text
from bot.feedback import views as feedback_views
from bot.feedback.kinds import FEEDBACK_KINDS, SlackFeedbackKinds
from bot.feedback.learning import (
    AnswerRef,
    FeedbackTargetGoneError,
    learn_and_announce,
    load_answer,
    newest_answer,
    post_in_thread,
    prompt_gone,
    within_budget,
)
from bot.feedback.offers import OfferBook
from bot.keys import Workspace
from bot.prompts.runs import RunStore
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.private import tell_privately

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadReply:
    channel: str
    thread_ts: str
    ts: str
    user: str
    text: str  # raw, as Slack sent it


def thread_reply(event: dict[str, object]) -> ThreadReply | None:
    """The reply an event carries, or None unless it is a person's reply inside a thread."""
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    user, channel, text = event.get("user"), event.get("channel"), event.get("text")
    if not (thread_ts and ts and user and channel and isinstance(text, str)) or thread_ts == ts:
        return None
    return ThreadReply(str(channel), str(thread_ts), str(ts), str(user), text)


def prefixed_feedback(
    raw: str, kinds: SlackFeedbackKinds = FEEDBACK_KINDS
) -> tuple[str, str] | None:
    """``(kind, text)`` for ``critique: ...``-style replies (raw Slack text), else None."""
    match = kinds.prefix_pattern.match(raw)
    kind = kinds.by_prefix(match.group(1)) if match is not None else None
    if match is None or kind is None:
        return None
    return kind.name, resolve_text(match.group(2)).strip()


def _awaited_reply(
    services: Services, workspace: Workspace, reply: ThreadReply
) -> tuple[AnswerRef, str] | None:
    """The answer this person was asked to reply about in this thread, and the kind of their
    reaction (a rewrite), claimed by this reply."""
    waiting = workspace.keys.awaiting_rewrite(reply.channel, reply.thread_ts, reply.user)
    token = services.redis.get(waiting)
    if token is None:
        return None
    offer = OfferBook(services.redis, workspace).claim(str(token))
    services.redis.delete(waiting)
    if offer is None:
        return None  # withdrawn, or answered already
    try:
        return load_answer(services, workspace, offer.run_id, offer.candidate), offer.kind
    except FeedbackTargetGoneError:
        return None


def handle_reply(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    reply: ThreadReply,
    external: bool = False,
) -> None:
    run = RunStore(services.redis, workspace).run_in_thread(reply.channel, reply.thread_ts)
    if run is None:
        return  # not a run's thread: people talking
    newest = AnswerRef(run, newest_answer(run))
    explicit = prefixed_feedback(reply.text)
    gone = prompt_gone(services, workspace, run)
    if external and not services.settings.allow_external_users:
        gone = EXTERNAL_REFUSAL
    if gone is not None:
        # Only a reply that is plainly feedback hears why; anything else may be chatter.
        if explicit is not None:
            notice = block_kit.error(gone)
            tell_privately(client, reply.channel, reply.user, reply.thread_ts, notice)
        return
    if explicit is not None:
        kind, text = explicit
        if not text:
            hint = f"write what you mean after `{FEEDBACK_KINDS.get(kind).prefix}:`."
            post_in_thread(client, run, feedback_views.feedback_failed(reply.user, kind, hint))
            return
        learn_and_announce(services, workspace, client, newest, kind, text, reply.user)
        return
    text = resolve_text(reply.text).strip()
    awaited = _awaited_reply(services, workspace, reply)
    if awaited is not None:
        answer, kind = awaited
        learn_and_announce(services, workspace, client, answer, kind, text, reply.user)
        return
    if not within_budget(services, workspace, client, run, reply.user, calls=1):
        return
    reading = classify_reply(services.alignment_model, text, newest.answer)
    if not reading.is_feedback:
        log.debug("reply %s in run %s is not feedback", reply.ts, run.run_id)
        return
    learn_and_announce(
        services, workspace, client, newest, reading.kind, reading.feedback, reply.user
    )
