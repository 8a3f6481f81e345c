"""The feedback loop end to end: signed requests to the product's app over real HTTP, the Slack
emulator, a fake Gemini server behind the real Gemini helper, and the real Redis underneath.

A run, a thumbs-down, a suggested reason clicked, the principle stored and shown, a reply
``kudos: ...``, undo, apply, a new version, a second run rendered from it, rollback, and history
showing every step; retried deliveries change nothing more, and the DEBUG log holds no secret.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import pytest
import redis

from bot.app import register_product as product_listeners
from bot.config import Settings
from bot.feedback import views as feedback_views
from bot.keys import Workspace
from bot.observability.logs import configure_logging, secrets_of
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.redis_conn import RedisConnection
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.gemini_server import FakeGemini, prompt_text
from tests.fakes.http_server import RecordedRequest
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slack_signing import SIGNING_SECRET
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import (
    APPLIED_SUFFIX,
    RUN_ANSWER,
    SUGGESTED,
    Teammate,
    action_values,
    message_text,
    model_answer,
    thread_messages,
    wait_for_thread_message,
)

GEMINI_KEY = "AIzaFakeKeyForTheEndToEndTest0123456789abc"


@pytest.fixture
def responses() -> Iterator[ResponseUrlServer]:
    with ResponseUrlServer() as server:
        yield server


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    def respond(request: RecordedRequest) -> str:
        return model_answer(prompt_text(request))

    with FakeGemini(responder=respond, api_key=GEMINI_KEY) as server:
        yield server


@pytest.fixture
def debug_log(make_settings: Callable[..., Settings]) -> Iterator[io.StringIO]:
    """The product's own log set-up at DEBUG level, written to a buffer the test reads."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    settings = make_settings()
    handler = configure_logging(logging.DEBUG, stream=stream, secrets=secrets_of(settings))
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for old in saved_handlers:
            root.addHandler(old)
        root.setLevel(saved_level)


@pytest.fixture
def bot(
    make_settings: Callable[..., Settings],
    redis_url: str,
    redis_client: redis.Redis,
    gemini: FakeGemini,
    in_process_bot: Callable[..., InProcessBot],
) -> Iterator[InProcessBot]:
    settings = make_settings(GEMINI_API_KEY=GEMINI_KEY, GOOGLE_GEMINI_BASE_URL=gemini.url)
    services = Services(settings=settings, redis_connection=RedisConnection(redis_url))
    try:
        yield in_process_bot(product_listeners, with_services=services)
    finally:
        services.close()


def first_run(slack: SlackEmulator, client: redis.Redis, workspace: Workspace) -> RunRecord | None:
    roots = [m for m in slack.channel_messages(CHANNEL) if not m.get("thread_ts")]
    if not roots:
        return None
    return RunStore(client, workspace).run_in_thread(CHANNEL, roots[0]["ts"])


def test_feedback_versions_undo_apply_rollback_and_history(
    debug_log: io.StringIO,
    bot: InProcessBot,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    gemini: FakeGemini,
    redis_client: redis.Redis,
) -> None:
    ana = Teammate(bot, responses, "U0ANA")
    ben = Teammate(bot, responses, "U0BEN")
    workspace = Workspace(TEAM_ID)
    store = PromptStore(redis_client, workspace)
    assert "Created *`uses`* version 1" in ana.ask("new uses Give three uses for {item}.")

    # A run; its answer in the thread.
    ana.send("run uses item=scissors")
    run = wait_until(lambda: first_run(slack, redis_client, workspace), 15, what="the run")
    answer_ts = run.messages[0].ts
    assert run.answers == [RUN_ANSWER]

    # A thumbs-down on the answer: three suggested critiques, as buttons, plus "write my own".
    assert ana.react("thumbsdown", answer_ts, event_id="Ev0THUMBSDOWN").status == 200
    offer = wait_for_thread_message(
        slack, run.thread_ts, "the suggested reasons", action=feedback_views.CHOOSE_REASON_ACTION
    )
    shown = message_text(offer)
    assert all(reason in shown for reason in SUGGESTED["critique"])
    choices = action_values(offer, feedback_views.CHOOSE_REASON_ACTION)
    assert len(choices) == 3
    assert action_values(offer, feedback_views.OWN_REASON_ACTION)

    # Clicking the second reason stores a principle and says what changed, with an Undo.
    assert ana.click(offer, feedback_views.CHOOSE_REASON_ACTION, choices[1]).status == 200
    added = wait_for_thread_message(
        slack, run.thread_ts, "the first change", "Principle added", feedback_views.UNDO_ACTION
    )
    first_principle = f"Follow this: {SUGGESTED['critique'][1]}"
    assert store.current("uses").prompt.principles == [first_principle]
    assert store.current("uses").version == 2
    assert first_principle in message_text(added) and "<@U0ANA>" in message_text(added)
    chosen = next(m for m in thread_messages(slack, run.thread_ts) if m["ts"] == offer["ts"])
    assert not action_values(chosen, feedback_views.CHOOSE_REASON_ACTION)  # buttons gone
    assert first_principle in ana.ask("principles uses")

    # A retried delivery of the reaction, and a second click, change nothing more.
    posts_before = len(slack.calls_to("chat.postMessage"))
    ana.react("thumbsdown", answer_ts, event_id="Ev0THUMBSDOWN", retry_num=1)
    ana.click(offer, feedback_views.CHOOSE_REASON_ACTION, choices[0])

    # A teammate's reply with a prefix: a second principle, about the newest answer.
    reply_ts = "1800000099.000001"
    assert ben.reply(run.thread_ts, "kudos: the list is numbered", ts=reply_ts).status == 200
    kudos_change = wait_for_thread_message(
        slack, run.thread_ts, "the kudos change", "the list is numbered", "alignbot_feedback_undo"
    )
    assert "<@U0BEN>" in message_text(kudos_change)
    expected = [first_principle, "Follow this: the list is numbered"]
    assert store.current("uses").prompt.principles == expected
    assert store.current("uses").version == 3
    # The same reply delivered again (a retry) is applied once.
    ben.reply(run.thread_ts, "kudos: the list is numbered", ts=reply_ts, retry_num=1)
    # Chatter in the thread is left alone.
    ben.reply(run.thread_ts, "lunch at noon?")

    # Undo of the kudos change: a new version without it; the change message loses its button.
    undo_value = action_values(kudos_change, feedback_views.UNDO_ACTION)[0]
    assert ben.click(kudos_change, feedback_views.UNDO_ACTION, undo_value).status == 200
    wait_for_thread_message(slack, run.thread_ts, "the undo report", "Undid version 3")
    assert store.current("uses").prompt.principles == [first_principle]
    assert store.current("uses").version == 4
    marked = wait_until(
        lambda: next(
            (
                m
                for m in thread_messages(slack, run.thread_ts)
                if m["ts"] == kudos_change["ts"] and "Undone by" in message_text(m)
            ),
            None,
        ),
        10,
        what="the change message marked undone",
    )
    assert not action_values(marked, feedback_views.UNDO_ACTION)
    thread_posts = [
        c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == run.thread_ts
    ]
    # Since the retries: the kudos change and the undo report, nothing else.
    assert len(slack.calls_to("chat.postMessage")) - posts_before == 2
    assert len(thread_posts) >= 4

    # Apply folds the principle into the template: a new version, announced with a diff.
    ana.send("apply uses")
    applied = slack.wait_for(
        "chat.postMessage", where=lambda c: "Applied 1 principle" in message_text(c.params)
    )[0]
    assert "+" in message_text(applied.params) and "one short line" in message_text(applied.params)
    current = store.current("uses")
    assert current.version == 5
    assert current.template == "Give three uses for {item}." + APPLIED_SUFFIX

    # A second run uses the applied template.
    ana.send("run uses item=glue")
    second_root = slack.wait_for(
        "chat.postMessage", where=lambda c: "(version 5)" in message_text(c.params)
    )[0]
    sent = wait_until(
        lambda: [
            p for p in map(prompt_text, gemini.requests) if p.startswith("Give three uses for glue")
        ],
        15,
        what="the second run's prompt",
    )
    assert sent[0] == "Give three uses for glue." + APPLIED_SUFFIX
    wait_until(
        lambda: [
            m for m in thread_messages(slack, str(second_root.response["ts"])) if m.get("metadata")
        ],
        15,
        what="the second run's answer",
    )

    # Rollback to version 1: the original template and no principles, as version 6.
    ana.send("rollback uses 1")
    slack.wait_for("chat.postMessage", where=lambda c: "Rolled back" in message_text(c.params))
    rolled = store.current("uses")
    assert (rolled.version, rolled.template, rolled.prompt.principles) == (
        6,
        "Give three uses for {item}.",
        [],
    )

    history = ana.ask("history uses")
    for step in (
        "*v1*",
        "created the prompt",
        "added principle 1",
        "(from critique)",
        "(from kudos)",
        "undid version 3",
        "applied 1 principle",
        "rolled back to version 1",
        "*current*",
        "_undone_",
    ):
        assert step in history, step
    assert [v.version for v in store.versions("uses")] == [1, 2, 3, 4, 5, 6]

    log_text = debug_log.getvalue()
    assert "DEBUG" in log_text
    for secret in (slack.bot_token, SIGNING_SECRET, GEMINI_KEY):
        assert secret not in log_text
