"""A prompt with one answered run in a Slack thread, stored in Redis for the Slack benchmarks.

Both `ack_latency.py` and `event_load.py` react to that answer, so every reaction starts the
bot's real feedback work, answered by the same slow fake model.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import redis

from bot.keys import Workspace
from bot.prompts.runs import AnswerMessage, RunRecord, RunStore
from bot.prompts.store import PromptStore
from tests.fakes.gemini_server import GeminiReply, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import TEAM_ID


def seed_answered_run(
    redis_url: str, *, channel: str, thread_ts: str, answer_ts: str, run_id: str, user: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    workspace = Workspace(TEAM_ID)
    PromptStore(client, workspace).create("uses", "Give three uses for {item}.", user)
    RunStore(client, workspace).save(
        RunRecord(
            run_id=run_id,
            prompt_name="uses",
            version=1,
            variables={"item": "scissors"},
            rendered_input="Give three uses for scissors.",
            answers=["1. Cut paper\n2. Open boxes\n3. Trim string"],
            user=user,
            created_at="2025-01-01T00:00:00+00:00",
            channel=channel,
            thread_ts=thread_ts,
            root_ts=thread_ts,
            messages=[AnswerMessage(ts=answer_ts, candidate=0, part=0)],
        )
    )
    client.close()


def suggesting_model(seconds: float) -> Callable[[RecordedRequest], GeminiReply]:
    """A fake Gemini responder that takes ``seconds`` per answer and suggests three reasons
    whenever the bot asks for suggested reasons (anything else gets "ok")."""

    def answer(request: RecordedRequest) -> GeminiReply:
        text = json.dumps({"suggestions": ["Clear.", "Practical.", "Short."]})
        if "draft 3 pieces of" not in prompt_text(request):
            text = "ok"
        return GeminiReply(text=text, delay=seconds)

    return answer
