"""An action chosen on a message: the answer it is about, or why it cannot be used there.

A message shortcut can be chosen on any message in Slack, so the message is looked up the way
reactions look it up (``RunStore.answer_at``): only a message the bot posted as (part of) a
run's answer points at a run. Everything else gets a private explanation instead of a form.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.feedback.learning import (
    AnswerRef,
    FeedbackTargetGoneError,
    load_answer,
    prompt_gone,
)
from bot.keys import Workspace
from bot.prompts.runs import RunStore
from bot.services import Services
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.origin import Origin
from bot.transport.background import BackgroundWork


@dataclass(frozen=True)
class AnswerRequest:
    """Someone chose an action on one of the bot's answers: everything its ``start`` needs."""

    services: Services
    work: BackgroundWork
    origin: Origin  # the person, the channel, a trigger id for a form, a private reply
    answer: AnswerRef  # the run and the candidate the message shows
    message_ts: str


@dataclass(frozen=True)
class ChosenMessage:
    """The message an action was chosen on, as the shortcut or menu payload describes it."""

    channel: str
    ts: str
    by_the_bot: bool


def not_an_answer(message: ChosenMessage, labels: str) -> str:
    whose = "it is not one of them" if message.by_the_bot else "I did not post that message"
    return (
        f"{labels} work on the answers I post in a run's thread; {whose}. Use them on an "
        "answer, or start a run with `/align run PROMPT`."
    )


def find_answer(
    services: Services,
    workspace: Workspace,
    message: ChosenMessage,
    labels: str,
    external: bool = False,
) -> AnswerRef | str:
    """The answer ``message`` shows, or what to tell the person instead (in their words).

    ``labels`` names the actions for the explanation (``*Critique*, *Kudos* or *Rewrite*``).
    """
    pointer = RunStore(services.redis, workspace).answer_at(message.channel, message.ts)
    if pointer is None:
        return not_an_answer(message, labels)
    try:
        ref = load_answer(services, workspace, pointer.run_id, pointer.candidate)
    except FeedbackTargetGoneError:
        return (
            "That answer's run is no longer stored, so feedback on it cannot be applied. "
            "Run the prompt again with `/align run PROMPT`."
        )
    if external and not services.settings.allow_external_users:
        return EXTERNAL_REFUSAL
    return prompt_gone(services, workspace, ref.run) or ref
