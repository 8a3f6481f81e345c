"""A person's reply in a run's thread: feedback by prefix, by request, or by the model's reading.

In order: ``critique:``, ``kudos:`` or ``rewrite:`` at the start decides (the bot may be mentioned
first); a reply from someone the bot asked for a rewrite is that rewrite, about the answer they
reacted to; anything else is shown to the alignment model, and left alone unless it calls it
feedback. Prefixed and classified replies are about the newest answer in the thread.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from slack_sdk import WebClient

from alignment.single_run import classify_reply
from bot.commands.prompts import resolve_text
from bot.feedback import views as feedback_views
from bot.feedback.learning import (
    AnswerRef,
    FeedbackTargetGoneError,
    learn_and_announce,
    load_answer,
    newest_answer,
    post_in_thread,
)
from bot.feedback.offers import OfferBook
from bot.keys import Workspace
from bot.prompts.runs import RunStore
from bot.services import Services

log = logging.getLogger(__name__)

_PREFIXED = re.compile(
    r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)?(critique|kudos|rewrite)\s*:\s*(.*)\Z",
    re.IGNORECASE | re.DOTALL,
)


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


def prefixed_feedback(raw: str) -> tuple[str, str] | None:
    """``(kind, text)`` for ``critique: ...``-style replies (raw Slack text), else None."""
    match = _PREFIXED.match(raw)
    if match is None:
        return None
    return match.group(1).lower(), resolve_text(match.group(2)).strip()


def _awaited_rewrite(
    services: Services, workspace: Workspace, reply: ThreadReply
) -> AnswerRef | None:
    """The answer this person was asked to rewrite in this thread, claimed by this reply."""
    waiting = workspace.keys.awaiting_rewrite(reply.channel, reply.thread_ts, reply.user)
    token = services.redis.get(waiting)
    if token is None:
        return None
    offer = OfferBook(services.redis, workspace).claim(str(token))
    services.redis.delete(waiting)
    if offer is None:
        return None  # withdrawn, or answered already
    try:
        return load_answer(services, workspace, offer.run_id, offer.candidate)
    except FeedbackTargetGoneError:
        return None


def handle_reply(
    services: Services, workspace: Workspace, client: WebClient, reply: ThreadReply
) -> None:
    run = RunStore(services.redis, workspace).run_in_thread(reply.channel, reply.thread_ts)
    if run is None:
        return  # not a run's thread: people talking
    newest = AnswerRef(run, newest_answer(run))
    explicit = prefixed_feedback(reply.text)
    if explicit is not None:
        kind, text = explicit
        if not text:
            hint = f"write what you mean after `{kind}:`."
            post_in_thread(client, run, feedback_views.feedback_failed(reply.user, kind, hint))
            return
        learn_and_announce(services, workspace, client, newest, kind, text, reply.user)
        return
    text = resolve_text(reply.text).strip()
    rewritten = _awaited_rewrite(services, workspace, reply)
    if rewritten is not None:
        learn_and_announce(services, workspace, client, rewritten, "rewrite", text, reply.user)
        return
    reading = classify_reply(services.alignment_model, text, newest.answer)
    if not reading.is_feedback:
        log.debug("reply %s in run %s is not feedback", reply.ts, run.run_id)
        return
    learn_and_announce(
        services, workspace, client, newest, reading.kind, reading.feedback, reply.user
    )
