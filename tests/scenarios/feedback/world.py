"""A team giving feedback in Slack, and a model that answers the feedback prompts by rule.

:class:`Teammate` types `/align ...` (private replies land on a local ``response_url`` server),
reacts, replies in threads, clicks buttons and submits forms, all as signed requests to the bot.
:func:`model_answer` answers every prompt the bot sends, the way a cooperative model would,
following rules a test can replay: that is how tests know which principles a serial order of
the same feedback gives.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import urlencode

import redis

from bot.keys import Workspace
from bot.prompts.runs import AnswerMessage, RunRecord, RunStore
from bot.prompts.store import PromptStore, PromptVersion
from bot.services import Services
from tests.fakes.bot_harness import BotProcess, InProcessBot, wait_until
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import BOT_ID, BOT_USER_ID, TEAM_ID, SlackEmulator
from tests.fakes.slack_interactions import message_shortcut, overflow_choice, view_submission
from tests.fakes.slack_signing import HttpAnswer
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer

RUN_ANSWER = "1. Cut paper\n2. Open boxes\n3. Trim string"
SUGGESTED = {
    "critique": ["The uses are too obvious.", "It gives no safety advice.", "It is too terse."],
    "kudos": ["The list is easy to scan.", "Every use is practical.", "It is short."],
}
APPLIED_SUFFIX = " Keep each use to one short line."
_ts = itertools.count(1)


def new_ts() -> str:
    return f"1800000000.{next(_ts):06d}"


def _between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def principles_in(prompt: str) -> list[str]:
    """The numbered principles a change-decision prompt shows the model."""
    block = _between(prompt, "## The current principles\n", "\n\n## Choose one action")
    return [m.group(1) for m in re.finditer(r"^\d+\. (.*)$", block, re.MULTILINE)]


def feedback_in(prompt: str) -> str:
    for kind in ("critique", "kudos", "rewrite"):
        if f"<{kind}>" in prompt:
            return _between(prompt, f"<{kind}>", f"</{kind}>").strip()
    return ""


def decide(feedback: str, principles: list[str]) -> dict[str, Any]:
    """The rule the scripted model follows for a change decision.

    ``op-N`` feedback (the concurrency test) mixes the three kinds on the same principles: N
    divisible by 3 adds ``rule N``, remainder 1 rewords the first principle, remainder 2 deletes
    the last one; an edit or delete with nothing to act on adds instead. Any other feedback is
    added as a principle of its own.
    """
    op = re.fullmatch(r"op-(\d+)", feedback)
    if op is None:
        return {
            "action": "add",
            "index": 0,
            "principle": f"Follow this: {feedback}",
            "reason": "new",
        }
    number = int(op.group(1))
    if number % 3 == 1 and principles:
        text = f"rule 1 reworded by op-{number}"
        return {"action": "edit", "index": 1, "principle": text, "reason": "reword"}
    if number % 3 == 2 and principles:
        return {"action": "delete", "index": len(principles), "principle": "", "reason": "drop"}
    return {"action": "add", "index": 0, "principle": f"rule {number}", "reason": "add"}


# Words that mark the prompts ``model_answer`` knows: the alignment side's (feedback,
# suggestions, rewrites) and the runs' own. Anything else is a labeler's prompt.
FEEDBACK_MARKERS = (
    "Turn the feedback below",
    "draft 3 pieces of",
    "follows every principle",
    "asked for a change to it",
    "Decide what the reply is",
    "uses for",
)


def model_answer(prompt: str) -> str:
    """What the scripted model says to any prompt the bot sends."""
    if "Turn the feedback below into exactly one change" in prompt:
        return json.dumps(decide(feedback_in(prompt), principles_in(prompt)))
    if "draft 3 pieces of" in prompt:
        kind = "kudos" if "pieces of kudos" in prompt else "critique"
        return json.dumps({"suggestions": SUGGESTED[kind]})
    if "follows every principle" in prompt:
        template = _between(prompt, "<template>", "</template>")
        return json.dumps({"prompt": template + APPLIED_SUFFIX})
    if "asked for a change to it" in prompt:
        template = _between(prompt, "<template>", "</template>")
        request = _between(prompt, "<request>", "</request>")
        return json.dumps({"prompt": f"{template} {request}"})
    if "Decide what the reply is" in prompt:
        reply = _between(prompt, "<reply>", "</reply>")
        if reply.lower().startswith("lunch"):
            return json.dumps({"kind": "not_feedback", "feedback": ""})
        return json.dumps({"kind": "critique", "feedback": reply})
    return RUN_ANSWER


def _text_of(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        return _text_of(part.get("text", ""))
    return ""


def message_text(message: dict[str, Any]) -> str:
    """What a person reads in a message: its blocks' text and button labels, else its text."""
    parts = []
    for block in message.get("blocks") or []:
        parts.append(_text_of(block.get("text")))
        parts.extend(_text_of(element) for element in block.get("elements", []))
        parts.append(_text_of(block.get("accessory")))
    text = "\n".join(part for part in parts if part)
    return text or str(message.get("text") or "")


def thread_messages(slack: SlackEmulator, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.channel_messages(CHANNEL) if m.get("thread_ts") == thread_ts]


def with_action(message: dict[str, Any], action_id: str) -> bool:
    return any(
        element.get("action_id") == action_id
        for block in message.get("blocks") or []
        for element in [*block.get("elements", []), block.get("accessory") or {}]
    )


def action_values(message: dict[str, Any], action_id: str) -> list[str]:
    return [
        str(element["value"])
        for block in message.get("blocks") or []
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if element.get("action_id") == action_id
    ]


def wait_for_thread_message(
    slack: SlackEmulator, thread_ts: str, what: str, contains: str = "", action: str = ""
) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for message in thread_messages(slack, thread_ts):
            if contains in message_text(message) and (not action or with_action(message, action)):
                return message
        return None

    return wait_until(found, 15, what=what)


def principles_of(version: PromptVersion) -> list[str]:
    return list(version.prompt.principles)


class Teammate:
    """One person in the workspace, talking to the bot only through signed requests.

    ``team``: the person's own team when it is not the workspace's, as Slack sends it for
    people of another organization in a Slack Connect channel (``user_team`` on events, the
    user's ``team_id`` on clicks and forms; ``user_team`` on a slash command too, though a real
    guest's command carries their own ``team_id`` and so reaches their own team's prompts).
    """

    def __init__(
        self,
        bot: InProcessBot | BotProcess,
        responses: ResponseUrlServer,
        user: str,
        team: str | None = None,
    ) -> None:
        self.bot, self.responses, self.user = bot, responses, user
        self.signer = bot.signer
        self.team = team or self.signer.team_id

    def send(self, text: str) -> int:
        before = len(self.responses.replies)
        body = self.signer.command_body(text, user_id=self.user, channel_id=CHANNEL)
        if self.team != self.signer.team_id:
            body["user_team"] = self.team
        body["response_url"] = f"{self.responses.url}/commands/{self.user}/{before}"
        answer = self.bot.post(
            self.signer.signed(urlencode(body), "application/x-www-form-urlencoded")
        )
        assert (answer.status, answer.body) == (200, "")
        return before

    def ask(self, text: str) -> str:
        """Send a command and return the private reply it gets."""
        before = self.send(text)
        return message_text(self.responses.wait_for_reply(before + 1))

    def event(self, event: dict[str, Any], **fields: Any) -> HttpAnswer:
        if self.team != self.signer.team_id:
            event = {**event, "user_team": self.team}
        return self.bot.post(self.signer.event(event, **fields))

    def react(
        self, emoji: str, message_ts: str, removed: bool = False, **fields: Any
    ) -> HttpAnswer:
        event = {
            "type": "reaction_removed" if removed else "reaction_added",
            "user": self.user,
            "reaction": emoji,
            "item": {"type": "message", "channel": CHANNEL, "ts": message_ts},
            "item_user": BOT_USER_ID,
            "event_ts": new_ts(),
        }
        return self.event(event, **fields)

    def reply(self, thread_ts: str, text: str, ts: str | None = None, **fields: Any) -> HttpAnswer:
        event = {
            "type": "message",
            "channel": CHANNEL,
            "user": self.user,
            "text": text,
            "ts": ts or new_ts(),
            "thread_ts": thread_ts,
            "channel_type": "channel",
        }
        return self.event(event, **fields)

    def click(self, message: dict[str, Any], action_id: str, value: str) -> HttpAnswer:
        payload = {
            "type": "block_actions",
            "user": {"id": self.user, "team_id": self.team},
            "channel": {"id": message["channel"]},
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
            },
            "message": {**message, "bot_id": BOT_ID},
            "response_url": f"{self.responses.url}/actions/{self.user}",
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        return self.bot.post(self.signer.interaction(payload))

    def click_private(self, action_id: str, value: str) -> HttpAnswer:
        """Click a button of a message only this person sees (sent through a response_url)."""
        payload = {
            "type": "block_actions",
            "user": {"id": self.user, "team_id": self.team},
            "channel": {"id": CHANNEL},
            "container": {"type": "message", "is_ephemeral": True, "channel_id": CHANNEL},
            "response_url": f"{self.responses.url}/actions/{self.user}",
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        return self.bot.post(self.signer.interaction(payload))

    def shortcut(self, message: dict[str, Any], callback_id: str) -> HttpAnswer:
        """Choose a message shortcut on a message the emulator holds."""
        url = f"{self.responses.url}/actions/{self.user}"
        payload = message_shortcut(message, callback_id, self.user, self.team, url)
        return self.bot.post(self.signer.interaction(payload))

    def choose(self, message: dict[str, Any], action_id: str, value: str) -> HttpAnswer:
        """Pick ``value`` from the overflow menu ``action_id`` of a message the emulator holds."""
        url = f"{self.responses.url}/actions/{self.user}"
        payload = overflow_choice(message, action_id, value, self.user, self.team, url)
        return self.bot.post(self.signer.interaction(payload))

    def fill_in(self, view: dict[str, Any], values: dict[str, str]) -> HttpAnswer:
        """Submit a form the bot opened (as the emulator holds it), the way Slack's client does."""
        return self.bot.post(
            self.signer.interaction(view_submission(view, values, self.user, self.team))
        )

    def submit(self, view: dict[str, Any], values: dict[str, str]) -> HttpAnswer:
        state = {
            "values": {
                block_id: {"value": {"type": "plain_text_input", "value": value}}
                for block_id, value in values.items()
            }
        }
        payload = {
            "type": "view_submission",
            "user": {"id": self.user, "team_id": self.team},
            "view": {**view, "id": "V1", "state": state},
        }
        return self.bot.post(self.signer.interaction(payload))


# A saved run of prompt `uses` with two candidate answers, shared by the feedback scenarios.
WORKSPACE = Workspace(TEAM_ID)
THREAD = "1700000000.000100"
FIRST_ANSWER = "1700000000.000200"
SECOND_ANSWER = "1700000000.000300"


def scripted(services: Services) -> ScriptedModel:
    """The services' scripted model, answering every prompt the way ``model_answer`` says."""
    model = services.models[services.settings.model_spec]
    assert isinstance(model, ScriptedModel)
    model.responder = lambda request: model_answer(request.prompt)
    return model


def two_candidate_run(client: redis.Redis) -> RunRecord:
    PromptStore(client, WORKSPACE).create("uses", "Give three uses for {item}.", "U0OWNER")
    run = RunRecord(
        run_id="run0flows",
        prompt_name="uses",
        version=1,
        variables={"item": "scissors"},
        rendered_input="Give three uses for scissors.",
        answers=["Cut, open, trim.", "Cut paper; open boxes; trim string."],
        user="U0OWNER",
        created_at="2025-01-01T00:00:00+00:00",
        channel=CHANNEL,
        thread_ts=THREAD,
        root_ts=THREAD,
        messages=[
            AnswerMessage(ts=FIRST_ANSWER, candidate=0, part=0),
            AnswerMessage(ts=SECOND_ANSWER, candidate=1, part=0),
        ],
    )
    RunStore(client, WORKSPACE).save(run)
    return run


def versions(client: redis.Redis) -> list[int]:
    return [v.version for v in PromptStore(client, WORKSPACE).versions("uses")]
