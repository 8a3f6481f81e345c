"""Streamed answers against answers posted whole, timed in one run.

A run of a prompt goes through the bot's own ``execute_run`` (Slack emulator, embedded Redis, a
fake Gemini server over real HTTP). The fake model takes ``--first-token`` seconds before its
first word and ``--token-delay`` seconds per word after it, whether it streams or not: asked
without streaming it answers after the same total time, all at once. Each path runs ``--runs``
times; the medians are printed with their ratio (streamed / whole):

- first visible text: from the command to the first Slack call that put a word of the answer
  in front of people (``chat.startStream`` when streaming, the placeholder's edit otherwise);
- final message: from the command to the Slack call that gave the answer its final form.

Times come from the emulator's record of when each call arrived (same clock as the start).

    .venv/bin/python bench/streaming.py
    .venv/bin/python bench/streaming.py --words 300 --token-delay 0.01 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alignment.model_helper import ModelHelper  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.keys import Workspace  # noqa: E402
from bot.models.build import build_model  # noqa: E402
from bot.prompts.running import execute_run  # noqa: E402
from bot.prompts.store import PromptStore  # noqa: E402
from bot.redis_conn import RedisConnection, open_embedded  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.slack.origin import Origin  # noqa: E402
from tests.fakes.gemini_server import FakeGemini, GeminiReply, is_streamed  # noqa: E402
from tests.fakes.http_server import RecordedRequest, tokens  # noqa: E402
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator  # noqa: E402
from tests.fakes.slack_signing import SIGNING_SECRET  # noqa: E402

CHANNEL, USER = "C0BENCH", "U0BENCH"
MARKER = "Firstword"  # the answer's first word: its arrival in Slack is the first visible text


class WholeAnswers(ModelHelper):
    """The same helper with streaming hidden: the bot waits for each answer, as before."""

    def __init__(self, inner: ModelHelper) -> None:
        self.inner = inner

    def predict(self, prompt: str, temperature: float, *args: Any, **kwargs: Any) -> Any:
        return self.inner.predict(prompt, temperature, *args, **kwargs)


def answer_text(words: int) -> str:
    body = " ".join(f"word{n}" for n in range(words - 1))
    return f"{MARKER} {body}."


def model(answer: str, first_token: float, token_delay: float) -> FakeGemini:
    writing = first_token + len(tokens(answer)) * token_delay

    def respond(request: RecordedRequest) -> GeminiReply:
        # The same model either way: streamed, word by word; whole, after the same total time.
        if is_streamed(request):
            return GeminiReply(text=answer, delay=first_token, token_delay=token_delay)
        return GeminiReply(text=answer, delay=writing)

    return FakeGemini(respond)


def one_run(services: Services, slack: SlackEmulator, candidates: int) -> tuple[float, float]:
    """Seconds to the first visible text and to the final message of one run."""
    origin = Origin(
        workspace=Workspace(TEAM_ID), user=USER, channel=CHANNEL, client=services.web_client
    )
    record = PromptStore(services.redis, origin.workspace).current("uses")
    slack.reset()
    started = time.monotonic()
    run = execute_run(services, origin, record, {"item": "scissors"}, candidates)
    if run is None:
        raise SystemExit("the run failed; see the log above")
    answer_calls = [c for c in slack.calls if c.ok and MARKER in str(c.params)]
    final_ts = run.messages[-1].ts
    final = [
        c
        for c in answer_calls
        if c.params.get("metadata")
        and (c.params.get("ts") == final_ts or c.response.get("ts") == final_ts)
    ]
    return answer_calls[0].at - started, final[-1].at - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=120)
    parser.add_argument("--first-token", type=float, default=0.3, help="seconds to first word")
    parser.add_argument("--token-delay", type=float, default=0.02, help="seconds per word")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=1, help="candidates per run")
    args = parser.parse_args()
    answer = answer_text(args.words)
    with (
        tempfile.TemporaryDirectory() as data,
        SlackEmulator() as slack,
        model(answer, args.first_token, args.token_delay) as gemini,
    ):
        embedded = open_embedded(Path(data) / "redis")
        try:
            settings = load_settings(
                {
                    "SLACK_BOT_TOKEN": slack.bot_token,
                    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "REDIS_URL": embedded.url,
                    "ALIGN_DATA_DIR": data,
                    **gemini.env,
                },
                dotenv_path=None,
            )
            services = Services(settings=settings, redis_connection=RedisConnection(embedded.url))
            PromptStore(services.redis, Workspace(TEAM_ID)).create(
                "uses", "Give uses for {item}.", USER
            )
            streaming_model = build_model(settings.model_spec, settings)
            results: dict[str, list[tuple[float, float]]] = {"whole": [], "streamed": []}
            for _ in range(args.runs):
                for path in ("whole", "streamed"):
                    chosen = WholeAnswers(streaming_model) if path == "whole" else streaming_model
                    services.models[settings.model_spec] = chosen
                    results[path].append(one_run(services, slack, args.n))
            # The embedded Redis stops at the end only when no client is connected.
            services.close()
        finally:
            embedded.close()
    writing = args.first_token + len(tokens(answer)) * args.token_delay
    print(
        f"{args.words} words, first word after {args.first_token:.2f} s, then "
        f"{args.token_delay * 1000:.0f} ms a word (model writes for {writing:.2f} s); "
        f"{args.n} candidate(s), median of {args.runs} runs each"
    )
    print(f"{'':24}{'whole':>10}{'streamed':>10}{'ratio':>8}")
    for index, label in enumerate(("first visible text (s)", "final message (s)")):
        whole = statistics.median(r[index] for r in results["whole"])
        streamed = statistics.median(r[index] for r in results["streamed"])
        print(f"{label:24}{whole:10.2f}{streamed:10.2f}{streamed / whole:8.2f}")


if __name__ == "__main__":
    main()
