"""Typing `/align ...` as a person and reading what the bot answers privately.

Slack gives each slash command a ``response_url`` for private replies; here it points at a local
server that records them, so a test reads exactly what the person would see.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from bot.commands.text import unescape
from bot.feedback.actions import MENU_BLOCK
from bot.slack.markdown import ZERO_WIDTH_SPACE
from tests.fakes.bot_harness import BotProcess, InProcessBot, wait_until
from tests.fakes.http_server import FakeHTTPServer, RecordedRequest, WireReply
from tests.fakes.slack_emulator import TEAM_ID
from tests.fakes.slack_limits import assert_message_fits
from tests.fakes.slack_signing import HttpAnswer, SlackSigner

CHANNEL = "C0GENERAL"


class ResponseUrlServer(FakeHTTPServer[str]):
    """Answers every POST with 200 ``ok``, as Slack does, and keeps the JSON bodies."""

    def __init__(self) -> None:
        super().__init__(responder=lambda request: "ok")

    def text_reply(self, text: str) -> str:
        return text

    def render(self, reply: str, request: RecordedRequest) -> WireReply:
        return WireReply(200, reply)

    @property
    def replies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if isinstance(r.body, dict)]

    def wait_for_reply(self, count: int, timeout: float = 15) -> dict[str, Any]:
        """The ``count``-th reply (1-based), waiting for it to arrive."""
        wait_until(lambda: len(self.replies) >= count, timeout, what=f"{count} private replies")
        reply = self.replies[count - 1]
        # Slack holds replies through response_url to the same limits as any message.
        assert_message_fits(reply.get("text"), reply.get("blocks"))
        return reply


BotT = TypeVar("BotT", BotProcess, InProcessBot)


class Person(Generic[BotT]):
    """Someone in a workspace typing `/align ...`; private replies land in ``responses``."""

    def __init__(self, bot: BotT, responses: ResponseUrlServer, team_id: str = TEAM_ID) -> None:
        self.bot: BotT = bot
        self.responses = responses
        self.signer = SlackSigner(team_id=team_id)
        self.user = "U0PERSON1"

    def send(self, text: str, channel: str = CHANNEL) -> int:
        """Send the command; returns how many private replies came before it."""
        before = len(self.responses.replies)
        body = self.signer.command_body(text, user_id=self.user, channel_id=channel)
        body["response_url"] = f"{self.responses.url}/commands/{before}"
        request = self.signer.signed(urlencode(body), "application/x-www-form-urlencoded")
        answer = self.bot.post(request)
        # The ack is empty: everything the person sees comes after it.
        assert (answer.status, answer.body) == (200, "")
        return before

    def ask(self, text: str, channel: str = CHANNEL) -> str:
        """Send the command and return the text of the private reply it gets."""
        before = self.send(text, channel)
        reply = self.responses.wait_for_reply(before + 1)
        assert reply["response_type"] == "ephemeral"
        return message_text(reply)

    def submit(self, view: dict[str, Any], values: dict[str, str]) -> HttpAnswer:
        """Submit a form the bot opened, with ``values`` typed into its inputs (by block id)."""
        state = {
            "values": {
                block_id: {"value": {"type": "plain_text_input", "value": value}}
                for block_id, value in values.items()
            }
        }
        payload = {"type": "view_submission", "view": {**view, "id": "V1", "state": state}}
        payload["user"] = {"id": self.user, "team_id": self.signer.team_id}
        return self.bot.post(self.signer.interaction(payload))

    def reply_after(self, before: int) -> str:
        return message_text(self.responses.wait_for_reply(before + 1))


def message_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: its blocks' text, or its text without blocks."""
    parts = []
    for block in message.get("blocks") or []:
        if block.get("type") == "markdown":
            parts.append(block["text"])  # standard Markdown, as a plain string
        elif "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(element.get("text", "") for element in block.get("elements", []))
    return "\n".join(parts) if parts else str(message.get("text") or "")


def section_text(message: dict[str, Any]) -> str:
    """The answer text a message carries, back to what the model wrote: mrkdwn sections
    unescaped, markdown blocks without the zero-width spaces that keep references inert; the
    answer's "Feedback" menu is not part of it."""
    parts = []
    for block in message.get("blocks") or []:
        if block.get("block_id") == MENU_BLOCK:
            continue
        if block["type"] == "section":
            parts.append(unescape(block["text"]["text"]))
        elif block["type"] == "markdown":
            parts.append(block["text"].replace(ZERO_WIDTH_SPACE, ""))
    return "".join(parts)
