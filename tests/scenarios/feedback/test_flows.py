"""The feedback flows one by one, through the product's app over real HTTP with a scripted model:
withdrawn reactions, rewrites by reply, "write my own", classified replies, admins, App Home."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

from bot.feedback import views as feedback_views
from bot.prompts import history_views as version_views
from bot.prompts.audit import AuditLog
from bot.prompts.deletion import delete_prompt
from bot.prompts.store import PromptStore
from bot.prompts.version_log import notes
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import SlackEmulator
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.feedback.world import (
    FIRST_ANSWER,
    SECOND_ANSWER,
    SUGGESTED,
    THREAD,
    WORKSPACE,
    Teammate,
    action_values,
    message_text,
    model_answer,
    thread_messages,
    versions,
    wait_for_thread_message,
)


def test_removing_the_reaction_withdraws_the_reasons(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    ana.react("+1::skin-tone-3", FIRST_ANSWER)
    offer = wait_for_thread_message(
        slack, THREAD, "kudos reasons", action=feedback_views.CHOOSE_REASON_ACTION
    )
    assert all(reason in message_text(offer) for reason in SUGGESTED["kudos"])

    ana.react("+1::skin-tone-3", FIRST_ANSWER, removed=True)
    deleted = slack.wait_for("chat.delete")[0]
    assert deleted.params["ts"] == offer["ts"]
    ana.click(offer, feedback_views.CHOOSE_REASON_ACTION, f"{_token(offer)}:0")
    ana.react("+1", SECOND_ANSWER, removed=True)  # nothing was offered for it: nothing happens
    ana.react("heart", "1700000000.999999")  # not an answer: ignored
    ana.react("eyes", FIRST_ANSWER)  # not a feedback emoji: ignored
    time.sleep(0.5)  # time for anything the ignored events might wrongly have started
    assert len(slack.calls_to("chat.delete")) == 1
    assert versions(redis_client) == [1]
    assert thread_messages(slack, THREAD) == []


def _token(offer: dict[str, object]) -> str:
    return action_values(offer, feedback_views.OWN_REASON_ACTION)[0]


def test_removing_the_reaction_while_reasons_are_written_removes_them_once_posted(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
) -> None:
    bot, model = start()
    release, asked = threading.Event(), threading.Event()

    def slow_suggestions(request: Request) -> str:
        if "draft 3 pieces of" in request.prompt:
            asked.set()
            release.wait(10)
        return model_answer(request.prompt)

    model.responder = slow_suggestions
    ana = Teammate(bot, responses, "U0ANA")
    ana.react("x", FIRST_ANSWER)
    assert asked.wait(10)
    ana.react("x", FIRST_ANSWER, removed=True)
    release.set()

    deleted = slack.wait_for("chat.delete")[0]
    posted = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == THREAD]
    assert [c.response["ts"] for c in posted] == [deleted.params["ts"]]
    assert thread_messages(slack, THREAD) == []


def test_a_rewrite_reaction_takes_the_next_reply_as_the_rewrite_of_that_answer(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    ana.react("pencil2", FIRST_ANSWER)
    wait_for_thread_message(slack, THREAD, "the rewrite request", "answer you wanted")

    ana.reply(THREAD, "Cut ribbon, open mail, trim hair.")
    wait_for_thread_message(slack, THREAD, "the rewrite's change", "Principle added")
    rewrite = notes(redis_client, WORKSPACE, "uses")[2]
    assert (rewrite.feedback_kind, rewrite.candidate) == ("rewrite", 0)
    assert rewrite.feedback == "Cut ribbon, open mail, trim hair."

    # A prefixed reply is about the newest answer in the thread: the second candidate.
    ana.reply(THREAD, "critique: too many semicolons")
    wait_for_thread_message(slack, THREAD, "the critique's change", "too many semicolons")
    critique = notes(redis_client, WORKSPACE, "uses")[3]
    assert (critique.feedback_kind, critique.candidate) == ("critique", 1)

    # Without a prefix the model decides: chatter is left alone, a judgement becomes feedback.
    ana.reply(THREAD, "lunch after this?")
    ana.reply(THREAD, "the second one reads better")
    wait_for_thread_message(slack, THREAD, "the classified change", "reads better")
    assert versions(redis_client) == [1, 2, 3, 4]
    assert notes(redis_client, WORKSPACE, "uses")[4].feedback_kind == "critique"


def test_write_my_own_reason_in_a_form_only_for_the_person_who_reacted(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start()
    ana, ben = Teammate(bot, responses, "U0ANA"), Teammate(bot, responses, "U0BEN")
    ana.react("-1", SECOND_ANSWER)
    offer = wait_for_thread_message(
        slack, THREAD, "reasons", action=feedback_views.CHOOSE_REASON_ACTION
    )

    ben.click(offer, feedback_views.OWN_REASON_ACTION, _token(offer))
    refusal = slack.wait_for("chat.postEphemeral")[0]
    assert refusal.params["user"] == "U0BEN" and "<@U0ANA>" in message_text(refusal.params)

    ana.click(offer, feedback_views.OWN_REASON_ACTION, _token(offer))
    view = slack.wait_for("views.open")[0].response["view"]
    assert view["callback_id"] == feedback_views.OWN_REASON_CALLBACK
    empty = ana.submit(view, {feedback_views.OWN_REASON_BLOCK: "  "})
    assert '"response_action":"errors"' in empty.body.replace(" ", "")
    assert ana.submit(view, {feedback_views.OWN_REASON_BLOCK: "Name a safety tip"}).status == 200

    wait_for_thread_message(
        slack, THREAD, "the change", "Name a safety tip", "alignbot_feedback_undo"
    )
    note = notes(redis_client, WORKSPACE, "uses")[2]
    assert (note.user, note.feedback, note.candidate) == ("U0ANA", "Name a safety tip", 1)
    chosen = next(m for m in thread_messages(slack, THREAD) if m["ts"] == offer["ts"])
    assert "Name a safety tip" in message_text(chosen)
    assert not action_values(chosen, feedback_views.CHOOSE_REASON_ACTION)


def test_admins_alone_apply_delete_and_restore(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start(ALIGN_ADMINS="U0ADMIN")
    ana, admin = Teammate(bot, responses, "U0ANA"), Teammate(bot, responses, "U0ADMIN")
    ana.reply(THREAD, "critique: name a safety tip")
    wait_for_thread_message(slack, THREAD, "the change", "Principle added")

    assert "Only the bot's admins can apply" in ana.ask("apply uses")
    assert "Only the bot's admins can delete" in ana.ask("delete uses")
    assert versions(redis_client) == [1, 2]
    refused = [e.action for e in AuditLog(redis_client, WORKSPACE).entries("uses")]
    assert refused[-2:] == ["apply-refused", "delete-refused"]

    # Only an admin may revise; the template changes as asked, as a new version.
    assert "Only the bot's admins can revise" in ana.ask("revise uses Ask for one line each.")
    admin.send("revise uses Ask for one line each.")
    slack.wait_for("chat.postMessage", where=lambda c: "Revised:" in message_text(c.params))
    assert versions(redis_client) == [1, 2, 3]

    assert "Delete `uses` and its 3 versions?" in admin.ask("delete uses")
    before = len(responses.replies)
    admin.click_private(version_views.DELETE_CONFIRM_ACTION, "uses")
    assert "Deleted `uses`" in message_text(responses.wait_for_reply(before + 1))
    assert not PromptStore(redis_client, WORKSPACE).exists("uses")
    assert "There is no prompt named `uses`" in ana.ask("principles uses")

    deleted = ana.ask("history uses")
    assert "was deleted by <@U0ADMIN>" in deleted and "An admin can restore it" in deleted
    before = len(responses.replies)
    ana.click_private(version_views.RESTORE_ACTION, "uses")
    assert "Only the bot's admins can restore" in message_text(responses.wait_for_reply(before + 1))
    admin.click_private(version_views.RESTORE_ACTION, "uses")
    slack.wait_for("chat.postMessage", where=lambda c: "restored `uses`" in message_text(c.params))
    assert versions(redis_client) == [1, 2, 3]
    assert "name a safety tip" in admin.ask("principles uses")


def test_app_home_lists_prompts_with_version_principles_and_last_change(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    ana.reply(THREAD, "kudos: short and clear")
    wait_for_thread_message(slack, THREAD, "the change", "Principle added")

    ana.event({"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home"})
    text = message_text(slack.wait_for("views.publish")[0].params["view"])
    assert "`uses`* version 2 · 1 principle" in text
    assert "<@U0ANA>" in text and "added principle 1" in text


def test_custom_reaction_mapping(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
) -> None:
    bot, model = start(ALIGN_REACTIONS="kudos=sparkles")
    ana = Teammate(bot, responses, "U0ANA")
    ana.react("+1", FIRST_ANSWER)
    ana.react("sparkles", FIRST_ANSWER)
    offer = wait_for_thread_message(
        slack, THREAD, "kudos reasons", action=feedback_views.CHOOSE_REASON_ACTION
    )
    assert ":sparkles:" in message_text(offer)
    assert len(thread_messages(slack, THREAD)) == 1
    assert len(model.requests) == 1


def test_history_lists_every_deletion_and_restore_takes_its_id(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    ana.reply(THREAD, "critique: name a safety tip")
    wait_for_thread_message(slack, THREAD, "the change", "Principle added")
    first = delete_prompt(redis_client, WORKSPACE, "uses", "U0ANA")
    assert "Created" in ana.ask("new uses Name {n} colours.")
    second = delete_prompt(redis_client, WORKSPACE, "uses", "U0ANA")
    first_id, second_id = first.deletion[:6], second.deletion[:6]

    listed = ana.ask("history uses")
    assert f"/align restore uses {first_id}" in listed
    assert f"/align restore uses {second_id}" in listed

    ana.send(f"restore uses {first_id}")
    slack.wait_for("chat.postMessage", where=lambda c: "restored `uses`" in message_text(c.params))
    assert versions(redis_client) == [1, 2]
    assert PromptStore(redis_client, WORKSPACE).current("uses").template.startswith("Give three")
    assert "was restored already" in ana.ask(f"restore uses {first_id}")
    assert f"/align restore uses {second_id}" in ana.ask(f"restore uses {second_id}")
