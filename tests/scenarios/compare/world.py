"""A team comparing prompt versions in Slack, and a fake Gemini whose answers follow rules.

Runs answer ``short: ITEM`` when the template asks for one short line per use and ``long:
ITEM`` otherwise, so a test knows which version wrote which answer. The judge's verdict for a
pair is scripted per item in ``World.verdicts``: ``"new"`` (the short answer wins), ``"old"``
(the long one wins), or ``"first"`` (a judge biased to whichever answer it reads first).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.keys import Workspace
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.worker import run_burst
from bot.prompts.store import PromptStore, PromptVersion
from bot.prompts.version_log import NextVersion, VersionNote, append_version
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import TEAM_ID
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import Teammate, message_text
from tests.scenarios.labelers.support import FileSlack

WORKSPACE = Workspace(TEAM_ID)
TEMPLATE = "Give three uses for {item}."
SHORT_RULE = " Keep each use to one short line."
PRINCIPLE = "Keep each use to one short line."


def _between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


class World:
    def __init__(
        self,
        bot: InProcessBot,
        services: Services,
        runtime: TrainingRuntime,
        gemini: FakeGemini,
        responses: ResponseUrlServer,
        slack: FileSlack,
    ) -> None:
        self.bot, self.services, self.runtime = bot, services, runtime
        self.gemini, self.responses, self.slack = gemini, responses, slack
        self.verdicts: dict[str, str] = {}
        gemini.responder = self.answer

    # -- the model ---------------------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> str:
        prompt = prompt_text(request)
        if "<answer_1>" in prompt:
            return self._verdict(prompt)
        if "follows every principle" in prompt:
            template = _between(prompt, "<template>", "</template>")
            return json.dumps({"prompt": template + SHORT_RULE})
        if "Turn the feedback below" in prompt:
            return json.dumps(
                {"action": "add", "index": 0, "principle": "Name real objects.", "reason": "r"}
            )
        item = prompt.split("uses for ", 1)[-1].split(".", 1)[0]
        return f"{'short' if 'short line' in prompt else 'long'}: {item}"

    def _verdict(self, prompt: str) -> str:
        first = _between(prompt, "<answer_1>", "</answer_1>")
        item = first.split(": ", 1)[-1]
        rule = self.verdicts.get(item, "tie")
        if rule == "first":
            winner = "1"
        elif rule == "tie":
            winner = "tie"
        else:
            wanted = "short" if rule == "new" else "long"
            winner = "1" if first.startswith(wanted) else "2"
        cited = [1] if winner != "tie" else []
        return json.dumps({"winner": winner, "principles": cited, "reason": f"{rule} for {item}"})

    def model_prompts(self) -> list[str]:
        return [prompt_text(r) for r in self.gemini.requests]

    # -- the team ----------------------------------------------------------------------------

    def person(self, user: str = "U0ANA") -> Teammate:
        return Teammate(self.bot, self.responses, user)

    def prompts(self) -> PromptStore:
        return PromptStore(self.services.redis, WORKSPACE)

    def prompt_with_principle(self) -> PromptVersion:
        """Prompt `uses`, version 2 holding the principle feedback gathered (not applied)."""
        self.prompts().create("uses", TEMPLATE, "U0OWNER")

        def add(latest: PromptVersion) -> NextVersion:
            prompt = latest.prompt
            prompt.principles = [PRINCIPLE]
            note = VersionNote(0, "feedback", "U0OWNER", "", f"added: {PRINCIPLE}")
            return NextVersion(prompt, note)

        record, _ = append_version(self.services.redis, WORKSPACE, "uses", "U0OWNER", add)
        return record

    def run_jobs(self) -> None:
        wait_until(lambda: self.runtime.queue().count, 15, what="a queued comparison")
        run_burst(self.runtime)

    def thread_messages(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.slack.channel_messages(CHANNEL) if m.get("thread_ts") == thread_ts]

    def wait_text(self, thread_ts: str, contains: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for message in self.thread_messages(thread_ts):
                if contains in message_text(message):
                    return message
            return None

        return wait_until(found, 15, what=f"{contains!r} in thread {thread_ts}")

    def progress_message(self) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for message in self.slack.channel_messages(CHANNEL):
                if "Comparing `uses`" in message_text(message):
                    return message
            return None

        return wait_until(found, 15, what="the comparison's progress message")
