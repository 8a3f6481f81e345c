"""What people can do with one of the bot's answers: the one list behind shortcuts and the menu.

Every entry of ``ANSWER_ACTIONS`` is offered twice, from the same definition:

- as a *message shortcut* (the "More actions" menu Slack shows on every message), declared in
  the app manifest under its ``callback_id``, ``alignbot_answer_<name>``;
- as an option of the *"Feedback" overflow menu* posted under each answer
  (:func:`answer_menu_block`, which ``bot.prompts.views`` puts on every answer message, posted
  whole or streamed).

Either way ``bot.feedback.answer_listeners`` acks, finds the run and candidate the message shows
(``bot.prompts.runs``), answers privately when the message is not an answer (or its prompt is
gone, or the person is in another organization), and otherwise calls the entry's ``start``
with an ``AnswerRequest`` (``bot.feedback.answer_request``). An action either opens a form or
acts at once and answers privately in the run's thread:

- critique, kudos and rewrite are built from the feedback kinds (``bot.feedback.kinds``): each
  opens a form whose submission goes through the same ``learn_and_announce`` as reactions and
  replies;
- "Save as example" (``bot.examples.answer_action``) saves the run's input as an example at once.

Adding an action is one entry in ``ANSWER_ACTIONS`` below::

    AnswerAction(
        name="example",                 # a word: the menu option's value, the callback id's end
        label="Save as example",        # the shortcut's name and the menu's option (<= 24 chars)
        description="Keep this answer's input as an example",  # <= 150 chars
        start=save_as_example,          # your feature's function of an AnswerRequest
    )

``start`` runs right after the ack, in a listener thread: open a form at once if it needs one
(a ``trigger_id`` lasts three seconds), do quick work (a few Redis calls) there, and hand
anything slow to ``request.work`` (see ``bot.feedback.learning.hand_over``). Then regenerate the
manifest (``alignbot manifest``) into ``manifest.yml``; ``tests/bot/slack/test_manifest.py``
fails until the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.examples import answer_action as example_action
from bot.feedback.answer_forms import open_feedback_form
from bot.feedback.answer_request import AnswerRequest
from bot.feedback.kinds import FEEDBACK_KINDS, SlackFeedbackKinds
from bot.slack.blocks import Block, mrkdwn_section, plain_text

CALLBACK_PREFIX = "alignbot_answer_"
MENU_ACTION = "alignbot_answer_menu"
MENU_BLOCK = "alignbot_answer_menu"
MENU_TEXT = ":speech_balloon: Feedback"
# Slack's limits: a shortcut's name 24 characters and its description 150; an overflow menu
# holds 2 to 5 options of at most 75 characters; an app declares at most 10 shortcuts.
LABEL_LIMIT = 24
DESCRIPTION_LIMIT = 150
MENU_OPTIONS = range(2, 6)
SHORTCUTS_LIMIT = 10


@dataclass(frozen=True)
class AnswerAction:
    name: str
    label: str
    description: str
    start: Callable[[AnswerRequest], None]

    @property
    def callback_id(self) -> str:
        return CALLBACK_PREFIX + self.name


class AnswerActions:
    """The actions, in the order menus show them; checked against Slack's limits when built."""

    def __init__(self, actions: Iterable[AnswerAction]) -> None:
        self._actions: dict[str, AnswerAction] = {}
        for action in actions:
            _check(action)
            if action.name in self._actions:
                raise ValueError(f"answer action {action.name!r} is listed twice")
            self._actions[action.name] = action
        if len(self._actions) > SHORTCUTS_LIMIT:
            raise ValueError(f"Slack allows an app {SHORTCUTS_LIMIT} shortcuts")
        if len(self._actions) not in MENU_OPTIONS:
            raise ValueError(
                f"an overflow menu holds {MENU_OPTIONS.start} to {MENU_OPTIONS.stop - 1} "
                f"options; there are {len(self._actions)} answer actions"
            )

    def __iter__(self) -> Iterator[AnswerAction]:
        return iter(self._actions.values())

    def get(self, name: str) -> AnswerAction | None:
        return self._actions.get(name)

    def by_callback_id(self, callback_id: str) -> AnswerAction | None:
        return self._actions.get(callback_id.removeprefix(CALLBACK_PREFIX))

    def labels(self) -> str:
        """``*Critique*, *Kudos* or *Rewrite*``: the actions as people see them named."""
        names = [f"*{action.label}*" for action in self]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]

    def manifest_shortcuts(self) -> list[dict[str, Any]]:
        """The message shortcuts the app manifest declares, one per action."""
        return [
            {
                "name": action.label,
                "type": "message",
                "callback_id": action.callback_id,
                "description": action.description,
            }
            for action in self
        ]

    def menu_block(self) -> Block:
        """The "Feedback" overflow menu that goes under an answer: one option per action."""
        section = mrkdwn_section(MENU_TEXT)
        section["block_id"] = MENU_BLOCK
        section["accessory"] = {
            "type": "overflow",
            "action_id": MENU_ACTION,
            "options": [
                {"text": plain_text(action.label), "value": action.name} for action in self
            ],
        }
        return section


def _check(action: AnswerAction) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", action.name):
        raise ValueError(f"answer action name {action.name!r} must be one lower-case word")
    if not 0 < len(action.label) <= LABEL_LIMIT:
        raise ValueError(f"{action.name!r}: a shortcut's name holds 1 to {LABEL_LIMIT} characters")
    if not 0 < len(action.description) <= DESCRIPTION_LIMIT:
        raise ValueError(
            f"{action.name!r}: a description holds 1 to {DESCRIPTION_LIMIT} characters"
        )


def feedback_actions(kinds: SlackFeedbackKinds = FEEDBACK_KINDS) -> list[AnswerAction]:
    """One action per feedback kind, opening that kind's form."""
    return [
        AnswerAction(
            name=kind.name,
            label=kind.name.capitalize(),
            description=kind.action_description,
            start=open_feedback_form(kind.name),
        )
        for kind in kinds
    ]


ANSWER_ACTIONS = AnswerActions(
    [
        *feedback_actions(),
        AnswerAction(
            name=example_action.NAME,
            label=example_action.LABEL,
            description=example_action.DESCRIPTION,
            start=example_action.save_as_example,
        ),
    ]
)


def answer_menu_block() -> Block:
    """The "Feedback" menu of every answer message."""
    return ANSWER_ACTIONS.menu_block()
