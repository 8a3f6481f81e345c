"""From a piece of feedback on a posted answer to a principle change announced in its thread.

The run record says what the answer was, what it was an answer to and which prompt version
produced it; the library turns that plus the feedback into a change (or suggested reasons), and
the change is committed by compare-and-set. Whatever happens, the person who gave the feedback
hears about it in the thread: the change with an Undo button, the reason nothing changed, or
what went wrong. When the thread cannot take the message (the bot was removed from the channel,
the channel is gone, Slack is unreachable), the change is saved all the same, so the message
goes to that person directly instead: otherwise they would have a change they never saw and no
Undo button for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from alignment.errors import AlignmentError, AnswerFormatError
from alignment.single_run import (
    AlignableSingleRun,
    ChangeDecision,
    ConstitutionalPrompt,
    ConversationTurn,
)
from bot.budgets import OverBudgetError
from bot.feedback import views as feedback_views
from bot.keys import Workspace
from bot.observability.context import bind_log_fields
from bot.prompts.principle_updates import (
    FeedbackOutcome,
    FeedbackSource,
    TooBusyError,
    change_from_feedback,
)
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore, PromptStoreError, PromptVersion
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Message
from bot.slack.failure_text import failure_reason
from bot.slack.private import tell_privately
from bot.transport.background import BUSY_TEXT, BackgroundWork, PoolFullError

log = logging.getLogger(__name__)

SUGGESTION_COUNT = 3
# What a post can raise once slack_sdk has given up: Slack's refusal, or a network failure
# (urllib's errors are OSErrors).
POST_ERRORS = (SlackClientError, OSError)


class FeedbackTargetGoneError(Exception):
    """The run or its prompt no longer exists; the message says so in people's words."""


def deleted_prompt_text(name: str) -> str:
    return (
        f"this run belongs to a deleted prompt `{name}`; nothing was changed. Run the prompt "
        f"named `{name}` now (if any) for a new thread"
    )


@dataclass(frozen=True)
class AnswerRef:
    """One candidate answer of one run: what every piece of feedback is about."""

    run: RunRecord
    candidate: int

    @property
    def answer(self) -> str:
        return self.run.answers[self.candidate]


def load_answer(services: Services, workspace: Workspace, run_id: str, candidate: int) -> AnswerRef:
    run = RunStore(services.redis, workspace).get(run_id)
    if run is None or not 0 <= candidate < len(run.answers):
        raise FeedbackTargetGoneError("that run is no longer stored")
    # Every line logged while acting on this feedback names the prompt and run it is about.
    bind_log_fields(prompt=run.prompt_name, run=run.run_id)
    return AnswerRef(run, candidate)


def newest_answer(run: RunRecord) -> int:
    """The candidate posted last in the run's thread: what a plain reply is about."""
    if not run.messages:
        return len(run.answers) - 1
    last = max(run.messages, key=lambda m: tuple(int(p) for p in m.ts.split(".")))
    return last.candidate


def prompt_gone(services: Services, workspace: Workspace, run: RunRecord) -> str | None:
    """Why feedback on ``run`` cannot reach its prompt (deleted, perhaps replaced under the same
    name), in people's words; None while the prompt that ran is still there."""
    if PromptStore(services.redis, workspace).is_same_prompt(run.prompt_name, run.prompt_id):
        return None
    text = deleted_prompt_text(run.prompt_name)
    return text[:1].upper() + text[1:] + "."


def _run_version(services: Services, workspace: Workspace, run: RunRecord) -> PromptVersion:
    if not PromptStore(services.redis, workspace).is_same_prompt(run.prompt_name, run.prompt_id):
        raise FeedbackTargetGoneError(deleted_prompt_text(run.prompt_name))
    try:
        return PromptStore(services.redis, workspace).version(run.prompt_name, run.version)
    except PromptStoreError as error:
        raise FeedbackTargetGoneError(
            f"the prompt `{run.prompt_name}` no longer exists (it may have been deleted)"
        ) from error


def runner_for(services: Services, ref: AnswerRef, version: PromptVersion) -> AlignableSingleRun:
    """A library run holding exactly this answer, on the template it was produced with."""
    conversation = [
        ConversationTurn(text=ref.run.rendered_input, is_user=True, vars=dict(ref.run.variables)),
        ConversationTurn(text=ref.answer),
    ]
    data = ConstitutionalPrompt(
        preamble=version.prompt.preamble,
        original_preamble=version.prompt.original_preamble,
        principles=list(version.prompt.principles),
        conversations=[conversation],
    )
    return AlignableSingleRun(services.prompt_model, services.alignment_model, data)


def suggest_reasons(
    services: Services, workspace: Workspace, ref: AnswerRef, kind: str
) -> list[str]:
    """The library's suggested reasons of ``kind`` (kudos, critiques) for the answer."""
    runner = runner_for(services, ref, _run_version(services, workspace, ref.run))
    return runner.generate_feedback(kind, SUGGESTION_COUNT)


def change_principles(
    services: Services, workspace: Workspace, ref: AnswerRef, kind: str, text: str, user: str
) -> FeedbackOutcome:
    """Commit the one change ``text`` calls for; the model decides against the fresh list."""
    version = _run_version(services, workspace, ref.run)
    runner = runner_for(services, ref, version)
    conversation = runner.data.conversations[0]

    def decide(principles: Sequence[str]) -> ChangeDecision:
        return runner.decide_change(kind, text, principles, conversation=conversation)

    source = FeedbackSource(user, kind, text, ref.run.run_id, ref.candidate, ref.run.version)
    return change_from_feedback(services.redis, workspace, ref.run.prompt_name, source, decide)


FAILED_TEXT = "Something went wrong on my side and your feedback changed nothing. Try again."


def hand_over(
    work: BackgroundWork,
    client: WebClient,
    person: tuple[str, str, str | None],
    what: str,
    task: Callable[..., None],
    *args: Any,
) -> None:
    """Give ``task`` to the background pool; when it has no room, tell the person (``channel``,
    ``user``, ``thread_ts``) that the bot is busy instead of dropping their feedback silently.

    This is the outermost edge of the feedback listeners' work: whatever ``task`` did not expect
    is logged here, and the person is told that nothing came of their feedback.
    """
    channel, user, thread_ts = person

    def at_the_edge() -> None:
        try:
            task(*args)
        except Exception:
            log.exception("%s from %s failed", what, user)
            tell_privately(client, channel, user, thread_ts, block_kit.error(FAILED_TEXT))

    try:
        work.submit(what, at_the_edge)
    except PoolFullError:
        log.warning("no room for %s from %s", what, user)
        tell_privately(client, channel, user, thread_ts, block_kit.error(BUSY_TEXT))


def within_budget(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    run: RunRecord,
    user: str,
    calls: int,
) -> bool:
    """Spend ``calls`` of the person's model budget; when it is used up, say so to them alone."""
    try:
        services.budgets.spend(workspace, user, calls)
    except OverBudgetError as refused:
        log.info("feedback by %s refused: over budget", user)
        refusal = block_kit.error(refused.explain())
        tell_privately(client, run.channel, user, run.thread_ts, refusal)
        return False
    return True


def post_failure(error: Exception) -> str:
    """Slack's error code, or the kind of network failure: safe to log and to show people."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "unknown_error")
    return type(error).__name__


def _post_to_thread(client: WebClient, run: RunRecord, message: Message) -> str:
    """Post in the run's thread; the new message's ts. Raises one of ``POST_ERRORS``."""
    response = client.chat_postMessage(
        channel=run.channel, thread_ts=run.thread_ts, **message.as_kwargs()
    )
    return str(response["ts"])


def post_in_thread(client: WebClient, run: RunRecord, message: Message) -> str | None:
    """Post in the run's thread; the new message's ts, or None when it could not be posted."""
    try:
        return _post_to_thread(client, run, message)
    except POST_ERRORS as error:
        log.warning("could not post in the thread of run %s: %s", run.run_id, post_failure(error))
        return None


def announce_to_giver(
    client: WebClient,
    workspace: Workspace,
    run: RunRecord,
    user: str,
    message: Message,
    version: int | None = None,
) -> None:
    """Post ``message`` in the run's thread, or else send it to ``user``, who gave the feedback.

    ``version`` is the prompt version the feedback produced, if any: the change is saved
    whether or not anyone hears of it, so the direct message keeps its Undo button.
    """
    try:
        _post_to_thread(client, run, message)
        return
    except POST_ERRORS as error:
        thread_problem = post_failure(error)
    log.warning(
        "could not post in the thread of run %s (%s); telling %s directly",
        run.run_id,
        thread_problem,
        user,
    )
    direct = feedback_views.sent_directly(message, run.channel, thread_problem, version is not None)
    try:
        client.chat_postMessage(channel=user, **direct.as_kwargs())
    except POST_ERRORS as error:
        # Nobody can be told; the log is the only record of a change people did not see.
        log.error(
            "feedback outcome reached nobody: prompt %s version %s, team %s, run %s "
            "(thread: %s, direct message: %s)",
            run.prompt_name,
            version if version is not None else "unchanged",
            workspace.team_id,
            run.run_id,
            thread_problem,
            post_failure(error),
        )


def outcome_message(
    ref: AnswerRef, kind: str, text: str, user: str, outcome: FeedbackOutcome
) -> Message:
    if outcome.change is None or outcome.version is None:
        return feedback_views.no_change(user, kind, outcome.reason)
    return feedback_views.change_posted(
        ref.run.prompt_name,
        outcome.version.version,
        outcome.change,
        user,
        kind,
        text,
        outcome.reason,
        ref.run.prompt_id,
    )


def learn_and_announce(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    ref: AnswerRef,
    kind: str,
    text: str,
    user: str,
) -> FeedbackOutcome | None:
    """Turn the feedback into a change and say in the thread what happened."""

    def tell(message: Message, version: int | None = None) -> None:
        announce_to_giver(client, workspace, ref.run, user, message, version)

    if not within_budget(services, workspace, client, ref.run, user, calls=1):
        return None
    try:
        outcome = change_principles(services, workspace, ref, kind, text, user)
    except FeedbackTargetGoneError as error:
        tell(feedback_views.feedback_failed(user, kind, str(error)))
        return None
    except (AnswerFormatError, TooBusyError) as error:
        tell(feedback_views.feedback_failed(user, kind, str(error)))
        return None
    except (AlignmentError, redis.RedisError) as error:  # a model or Redis failure: say so
        log.warning("feedback on run %s failed: %s", ref.run.run_id, error, exc_info=True)
        problem = f"{failure_reason(error)}. Try again in a moment."
        tell(feedback_views.feedback_failed(user, kind, problem))
        return None
    saved = None
    if outcome.change is not None and outcome.version is not None:
        saved = outcome.version.version
    tell(outcome_message(ref, kind, text, user, outcome), saved)
    return outcome
