"""Feedback from a message shortcut or an answer's "Feedback" menu, through the product's app
over real HTTP: signed ``message_action``, ``block_actions`` and ``view_submission`` payloads
built from what the Slack emulator holds, the forms the bot opens with ``views.open``, and a
scripted model. Each action changes the principles exactly as the matching reply does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from bot.feedback import views as feedback_views
from bot.feedback.actions import ANSWER_ACTIONS, MENU_ACTION
from bot.feedback.answer_forms import FORM_BLOCK, FORM_TEXT_LIMIT
from bot.keys import Workspace
from bot.prompts.runs import RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.prompts.version_log import VersionNote, notes
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slack_interactions import submission_payload
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import (
    RUN_ANSWER,
    WORKSPACE,
    Teammate,
    action_values,
    message_text,
    model_answer,
    thread_messages,
    versions,
    wait_for_thread_message,
)

TEXTS = {
    "critique": "name one safety tip",
    "kudos": "the numbered list is easy to scan",
    "rewrite": "1. Cut paper\n2. Open boxes\n3. Trim string\nKeep the blades closed when carried.",
}
Start = Callable[..., tuple[InProcessBot, ScriptedModel]]


def new_run(ana: Teammate, slack: SlackEmulator, client: redis.Redis) -> tuple[RunRecord, dict]:
    """``/align run uses``: the saved run and its (one) answer message as Slack holds it."""
    seen = {m["ts"] for m in slack.channel_messages(CHANNEL) if not m.get("thread_ts")}
    ana.send("run uses item=scissors")

    def saved() -> RunRecord | None:
        for root in slack.channel_messages(CHANNEL):
            if not root.get("thread_ts") and root["ts"] not in seen:
                return RunStore(client, WORKSPACE).run_in_thread(CHANNEL, root["ts"])
        return None

    run = wait_until(saved, 15, what="the run saved")
    (answer,) = [m for m in slack.channel_messages(CHANNEL) if m["ts"] == run.messages[0].ts]
    return run, answer


def opened_form(slack: SlackEmulator, count: int) -> dict[str, Any]:
    slack.wait_for("views.open", count)
    return list(slack.views.values())[count - 1]


def same_change(note: VersionNote) -> tuple[Any, ...]:
    return (note.user, note.feedback_kind, note.feedback, note.run_id, note.candidate, note.change)


def private_replies(responses: ResponseUrlServer) -> list[str]:
    return [message_text(reply) for reply in responses.replies]


@pytest.mark.parametrize("path", ["shortcut", "menu"])
@pytest.mark.parametrize("kind", ["critique", "kudos", "rewrite"])
def test_each_action_makes_the_change_the_matching_reply_makes(
    kind: str,
    path: str,
    start: Start,
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    run, answer = new_run(ana, slack, redis_client)
    store = PromptStore(redis_client, WORKSPACE)

    # The reply, then its Undo: the prompt is back where it started.
    ana.reply(run.thread_ts, f"{kind}: {TEXTS[kind]}")
    change = wait_for_thread_message(
        slack, run.thread_ts, "the reply's change", action=feedback_views.UNDO_ACTION
    )
    by_reply = notes(redis_client, WORKSPACE, "uses")[2]
    principles_by_reply = store.current("uses").prompt.principles
    (undo,) = action_values(change, feedback_views.UNDO_ACTION)
    ana.click(change, feedback_views.UNDO_ACTION, undo)
    wait_until(lambda: versions(redis_client) == [1, 2, 3], 15, what="the undo")
    assert store.current("uses").prompt.principles == []

    # The same feedback from the shortcut or the menu.
    action = ANSWER_ACTIONS.get(kind)
    assert action is not None
    if path == "shortcut":
        assert ana.shortcut(answer, action.callback_id).status == 200
    else:
        assert ana.choose(answer, MENU_ACTION, kind).status == 200
    form = opened_form(slack, 1)
    (field,) = [b for b in form["blocks"] if b.get("block_id") == FORM_BLOCK]
    if kind == "rewrite":
        assert field["element"]["initial_value"] == RUN_ANSWER  # the answer, to edit
    else:
        assert "initial_value" not in field["element"]
        assert "Cut paper" in message_text(form)  # the answer is shown above the field
    answered = ana.fill_in(form, {FORM_BLOCK: TEXTS[kind]})
    assert (answered.status, answered.body) == (200, "")

    wait_until(lambda: versions(redis_client) == [1, 2, 3, 4], 15, what="the action's change")
    by_action = notes(redis_client, WORKSPACE, "uses")[4]
    assert same_change(by_action) == same_change(by_reply)
    assert by_action.feedback_kind == kind and by_action.run_id == run.run_id
    assert store.current("uses").prompt.principles == principles_by_reply
    assert principles_by_reply == [f"Follow this: {TEXTS[kind]}"]

    # Announced in the thread with its Undo button, as the reply's change was.
    # The change is stored before it is posted, so the post may still be on its way.
    def announced() -> list[dict[str, object]]:
        return [
            m
            for m in thread_messages(slack, run.thread_ts)
            if "now version 4" in message_text(m) and action_values(m, feedback_views.UNDO_ACTION)
        ]

    wait_until(lambda: len(announced()) >= 1, 15, what="the change's announcement")
    assert len(announced()) == 1


def test_a_shortcut_on_any_other_message_explains_what_it_works_on(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, model = start()
    ana = Teammate(bot, responses, "U0ANA")
    run, _ = new_run(ana, slack, redis_client)
    calls = len(model.requests)
    someone_elses = slack.add_message(CHANNEL, "lunch at noon?", "U0BEN")
    (root,) = [m for m in slack.channel_messages(CHANNEL) if m["ts"] == run.root_ts]

    before = len(responses.replies)
    ana.shortcut(someone_elses, "alignbot_answer_critique")
    ana.shortcut(root, "alignbot_answer_rewrite")  # the bot's, but not an answer
    responses.wait_for_reply(before + 2)
    told = private_replies(responses)[before:]
    assert "I did not post that message" in told[0]
    assert "it is not one of them" in told[1]
    for text in told:
        assert "*Critique*" in text and "*Kudos*" in text and "*Rewrite*" in text
        assert "/align run PROMPT" in text
    assert all(reply.get("response_type") == "ephemeral" for reply in responses.replies[before:])
    assert slack.calls_to("views.open") == []
    assert versions(redis_client) == [1] and len(model.requests) == calls


def test_a_person_of_another_organization_is_told_and_gets_no_form(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    _, answer = new_run(ana, slack, redis_client)
    guest = Teammate(bot, responses, "U0GUEST", team="T0ELSEWHERE")
    before = len(responses.replies)
    guest.choose(answer, MENU_ACTION, "critique")
    assert "another organization" in message_text(responses.wait_for_reply(before + 1))
    assert slack.calls_to("views.open") == []


def test_text_too_long_for_a_form_is_refused_and_a_long_answer_is_not_prefilled(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, model = start()
    long_answer = "\n\n".join(f"{n}. " + "Cut paper into strips. " * 20 for n in range(1, 12))
    assert len(long_answer) > FORM_TEXT_LIMIT

    def answers_long(request: Request) -> str:
        if "uses for" in request.prompt and "principle" not in request.prompt:
            return long_answer
        return model_answer(request.prompt)

    model.responder = answers_long
    ana = Teammate(bot, responses, "U0ANA")
    run, answer = new_run(ana, slack, redis_client)
    assert run.answers == [long_answer]

    # A rewrite form cannot hold the answer: it opens empty and says why.
    ana.choose(answer, MENU_ACTION, "rewrite")
    form = opened_form(slack, 1)
    (field,) = [b for b in form["blocks"] if b.get("block_id") == FORM_BLOCK]
    assert "initial_value" not in field["element"]
    assert field["element"]["max_length"] == FORM_TEXT_LIMIT
    shown = message_text(form)
    assert f"{len(long_answer):,} characters" in shown and "`rewrite: ...`" in shown

    # Slack's client stops at max_length; a forged submission past it is refused, by name.
    with pytest.raises(AssertionError, match="at most 3000"):
        ana.fill_in(form, {FORM_BLOCK: "x" * (FORM_TEXT_LIMIT + 1)})
    forged = submission_payload(form, {FORM_BLOCK: "x" * 5000}, ana.user, ana.team)
    refused = bot.post(bot.signer.interaction(forged))
    assert refused.status == 200
    errors = json.loads(refused.body)
    assert errors["response_action"] == "errors"
    assert errors["errors"][FORM_BLOCK] == (
        "This is 5,000 characters; the form takes at most 3,000. Shorten it."
    )
    empty = bot.post(bot.signer.interaction(submission_payload(form, {}, ana.user, ana.team)))
    assert json.loads(empty.body)["errors"][FORM_BLOCK] == "Write something first."

    # What fits goes through.
    assert ana.fill_in(form, {FORM_BLOCK: TEXTS["rewrite"]}).body == ""
    wait_until(lambda: versions(redis_client) == [1, 2], 15, what="the rewrite's change")
    assert notes(redis_client, WORKSPACE, "uses")[2].feedback == TEXTS["rewrite"]


def test_an_unchanged_rewrite_is_refused_under_its_field(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    _, answer = new_run(ana, slack, redis_client)
    ana.shortcut(answer, "alignbot_answer_rewrite")
    refused = ana.fill_in(opened_form(slack, 1), {})
    assert json.loads(refused.body)["errors"][FORM_BLOCK].startswith("This is the answer unchanged")
    assert versions(redis_client) == [1]


def test_each_submission_is_applied_once(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, model = start()
    ana = Teammate(bot, responses, "U0ANA")
    run, answer = new_run(ana, slack, redis_client)
    ana.choose(answer, MENU_ACTION, "critique")
    form = opened_form(slack, 1)
    delivery = bot.signer.interaction(
        submission_payload(form, {FORM_BLOCK: "name one safety tip"}, ana.user, ana.team)
    )
    # The same signed delivery, three times at once.
    with ThreadPoolExecutor(3) as pool:
        statuses = list(pool.map(lambda _: bot.post(delivery).status, range(3)))
    assert statuses == [200, 200, 200]

    wait_for_thread_message(slack, run.thread_ts, "the change", "Principle added")
    bot.finish_work()
    assert versions(redis_client) == [1, 2]
    decisions = [r for r in model.requests if "Turn the feedback below" in r.prompt]
    assert len(decisions) == 1
    changes = [m for m in thread_messages(slack, run.thread_ts) if "Principle" in message_text(m)]
    assert len(changes) == 1
    # The copies are dropped quietly: nobody is told that a form expired.
    assert [m for m in slack.messages if m["channel"] == ana.user] == []
    assert PromptStore(redis_client, Workspace(WORKSPACE.team_id)).current(
        "uses"
    ).prompt.principles == ["Follow this: name one safety tip"]


def test_a_form_that_lost_its_answer_says_so_and_changes_nothing(
    start: Start, responses: ResponseUrlServer, slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    _, answer = new_run(ana, slack, redis_client)
    ana.shortcut(answer, "alignbot_answer_kudos")
    form = opened_form(slack, 1)
    # What the form was about expires with time; here it is gone at once.
    redis_client.delete(WORKSPACE.keys.pending(form["private_metadata"]))

    assert ana.fill_in(form, {FORM_BLOCK: "clear list"}).body == ""
    told = slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == ana.user)
    assert "open too long" in message_text(told[0].params)
    assert versions(redis_client) == [1]
