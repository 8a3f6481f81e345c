"""What members may do to prompts: with ``ALIGN_ADMINS`` set, feedback is everyone's and changes
to what a prompt says are the admins'; Undo is the feedback giver's; every edit is announced;
people from another organization (Slack Connect) are refused unless allowed; and buttons and
threads made for a deleted prompt never act on a new prompt given its name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from bot.feedback import views as feedback_views
from bot.prompts import views as prompt_views
from bot.prompts.audit import AuditLog
from bot.prompts.deletion import delete_prompt, deletion_events, restore_prompt
from bot.prompts.runs import RunStore
from bot.prompts.store import IDENTITY_FIELD, PromptStore
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import ScriptedModel
from tests.fakes.slack_emulator import BOT_USER_ID, SlackEmulator
from tests.fakes.slash_commands import ResponseUrlServer
from tests.scenarios.feedback.world import (
    FIRST_ANSWER,
    THREAD,
    WORKSPACE,
    Teammate,
    action_values,
    message_text,
    thread_messages,
    versions,
    wait_for_thread_message,
)

OTHER_ORG = "T0OTHERORG"


def ephemeral_for(slack: SlackEmulator, user: str, contains: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for call in slack.calls_to("chat.postEphemeral"):
            if call.params.get("user") == user and contains in message_text(call.params):
                return call.params
        return None

    return wait_until(found, 15, what=f"a private note to {user} saying {contains!r}")


def change_message(slack: SlackEmulator, contains: str) -> dict[str, Any]:
    return wait_for_thread_message(
        slack, THREAD, "the change", contains, feedback_views.UNDO_ACTION
    )


def test_with_admins_members_give_feedback_but_only_admins_change_what_prompts_say(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start(ALIGN_ADMINS="U0ADMIN")
    ana, ben = Teammate(bot, responses, "U0ANA"), Teammate(bot, responses, "U0BEN")
    admin = Teammate(bot, responses, "U0ADMIN")

    ana.reply(THREAD, "critique: name a safety tip")  # feedback stays open to members
    change = change_message(slack, "name a safety tip")
    assert versions(redis_client) == [1, 2]

    edit_refused = ben.ask("edit uses Give {item} ten uses.")
    assert "Only the bot's admins can edit prompts. Ask <@U0ADMIN>." in edit_refused
    assert "Only the bot's admins can revise prompts" in ben.ask("revise uses Be terse.")
    assert slack.calls_to("views.open") == []  # no edit form for a member either

    # Someone else's Undo is refused, privately; the feedback giver's own Undo works.
    undo = action_values(change, feedback_views.UNDO_ACTION)[0]
    ben.click(change, feedback_views.UNDO_ACTION, undo)
    refusal = ephemeral_for(slack, "U0BEN", "Only the bot's admins can undo")
    assert "<@U0ANA>" in message_text(refusal)
    assert versions(redis_client) == [1, 2]
    ana.click(change, feedback_views.UNDO_ACTION, undo)
    wait_for_thread_message(slack, THREAD, "the undo", "Undid version 2")
    assert versions(redis_client) == [1, 2, 3]
    refused = [e.action for e in AuditLog(redis_client, WORKSPACE).entries("uses")]
    assert {"edit-refused", "revise-refused", "undo-refused"} <= set(refused)

    # An edit form opened by an admin and submitted by a member (a stale or forged form).
    admin.send("edit uses")
    form = slack.wait_for("views.open")[0].response["view"]
    answer = ben.submit(form, {prompt_views.TEMPLATE_BLOCK: "Give {item} ten uses."})
    assert '"response_action":"errors"' in answer.body.replace(" ", "")
    assert "Only the bot's admins can edit prompts" in answer.body
    assert versions(redis_client) == [1, 2, 3]

    assert admin.submit(form, {prompt_views.TEMPLATE_BLOCK: "Give {item} ten uses."}).status == 200
    assert versions(redis_client) == [1, 2, 3, 4]


def test_an_edit_is_announced_in_its_channel(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
) -> None:
    bot, _ = start()
    ana = Teammate(bot, responses, "U0ANA")
    ana.send("edit uses Give {item} ten uses.")
    posted = slack.wait_for(
        "chat.postMessage", where=lambda c: "edited the template" in message_text(c.params)
    )[0]
    assert "<@U0ANA>" in message_text(posted.params) and "version 2" in message_text(posted.params)
    assert posted.params["channel"] == "C0GENERAL"


def test_people_of_another_organization_are_refused_and_told_why(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, model = start()
    guest = Teammate(bot, responses, "U0GUEST", team=OTHER_ORG)
    guest.react("-1", FIRST_ANSWER)
    ephemeral_for(slack, "U0GUEST", "another organization")
    guest.reply(THREAD, "critique: use more emoji")
    assert "ALIGN_ALLOW_EXTERNAL_USERS" in message_text(
        wait_until(
            lambda: [
                c.params
                for c in slack.calls_to("chat.postEphemeral")
                if c.params.get("thread_ts") == THREAD
            ][1:],
            15,
            what="the reply's refusal",
        )[0]
    )
    assert "another organization" in guest.ask("apply uses")
    assert "another organization" in guest.ask("edit uses Give {item} ten uses.")
    mention = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U0GUEST",
        "text": f"<@{BOT_USER_ID}> revise uses Be rude.",
        "ts": "1800000099.000001",
    }
    guest.event(mention)
    ephemeral_for(slack, "U0GUEST", "another organization")

    def refusals() -> list[Any]:
        return [c for c in slack.calls_to("chat.postEphemeral") if "ALIGN_ALLOW" in str(c.params)]

    wait_until(lambda: len(refusals()) >= 3, 15, what="the mention's refusal")
    assert versions(redis_client) == [1]
    assert thread_messages(slack, THREAD) == []  # no reasons offered, nothing changed
    assert model.requests == []  # and no model call spent on them

    # A member's Undo button is not the guest's to press either.
    ana = Teammate(bot, responses, "U0ANA")
    ana.reply(THREAD, "kudos: short")
    change = change_message(slack, "short")
    undo = action_values(change, feedback_views.UNDO_ACTION)[0]
    guest.click(change, feedback_views.UNDO_ACTION, undo)
    ephemeral_for(slack, "U0GUEST", "another organization")
    assert versions(redis_client) == [1, 2]


def test_people_of_another_organization_may_give_feedback_when_allowed(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, _ = start(ALIGN_ALLOW_EXTERNAL_USERS="true")
    guest = Teammate(bot, responses, "U0GUEST", team=OTHER_ORG)
    guest.reply(THREAD, "critique: use more emoji")
    change_message(slack, "use more emoji")
    assert versions(redis_client) == [1, 2]


def test_old_threads_and_undo_buttons_never_act_on_a_new_prompt_of_the_same_name(
    start: Callable[..., tuple[InProcessBot, ScriptedModel]],
    responses: ResponseUrlServer,
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    bot, model = start()
    store = PromptStore(redis_client, WORKSPACE)
    ana = Teammate(bot, responses, "U0ANA")
    ana.send("run uses item=scissors")
    answer = slack.wait_for("chat.update", where=lambda c: c.params.get("metadata") is not None)
    runs = RunStore(redis_client, WORKSPACE)
    pointer = wait_until(
        lambda: runs.answer_at("C0GENERAL", str(answer[0].params["ts"])), 15, what="the run"
    )
    run = runs.get(pointer.run_id)
    assert run is not None and run.prompt_id == store.identity("uses")
    run_thread = run.thread_ts

    ana.reply(run_thread, "critique: name a safety tip")
    change = wait_for_thread_message(
        slack, run_thread, "the change", "name a safety tip", feedback_views.UNDO_ACTION
    )
    undo = action_values(change, feedback_views.UNDO_ACTION)[0]

    delete_prompt(redis_client, WORKSPACE, "uses", "U0ANA")
    store.create("uses", "List {item} facts.", "U0BEN")
    store.edit("uses", "List {item} odd facts.", "U0BEN")  # a version 2 an old Undo could hit
    calls = len(model.requests)

    ana.reply(run_thread, "critique: shorter")
    ephemeral_for(slack, "U0ANA", "belongs to a deleted prompt")
    ana.react("-1", str(run.messages[0].ts))
    wait_until(
        lambda: (
            len(
                [
                    c
                    for c in slack.calls_to("chat.postEphemeral")
                    if "deleted prompt" in str(c.params)
                ]
            )
            >= 2
        ),
        15,
        what="the reaction's refusal",
    )
    ana.click(change, feedback_views.UNDO_ACTION, undo)
    ephemeral_for(slack, "U0ANA", "This change belongs to a deleted prompt")
    assert [v.version for v in store.versions("uses")] == [1, 2]
    assert store.current("uses").prompt.principles == []
    assert len(model.requests) == calls


def test_a_prompt_keeps_its_identity_across_versions_and_a_restore(
    redis_client: redis.Redis,
) -> None:
    store = PromptStore(redis_client, WORKSPACE)
    store.create("uses", "Give three uses for {item}.", "U0ANA")
    first = store.identity("uses")
    store.edit("uses", "Give four uses for {item}.", "U0ANA")
    assert first is not None and store.identity("uses") == first

    delete_prompt(redis_client, WORKSPACE, "uses", "U0ANA")
    assert store.identity("uses") is None
    store.create("uses", "Another {item}.", "U0BEN")
    assert store.identity("uses") not in (None, first)
    delete_prompt(redis_client, WORKSPACE, "uses", "U0BEN")
    first_deletion = deletion_events(redis_client, WORKSPACE, "uses")[0].deletion
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ANA", wanted=first_deletion)
    assert store.current("uses").template == "Give four uses for {item}."
    assert store.identity("uses") == first


def test_a_prompt_saved_before_identities_gets_one_and_old_runs_still_match(
    redis_client: redis.Redis,
) -> None:
    store = PromptStore(redis_client, WORKSPACE)
    store.create("uses", "Give three uses for {item}.", "U0ANA")
    redis_client.hdel(WORKSPACE.keys.prompt("uses"), IDENTITY_FIELD)  # as saved before
    given = store.identity("uses")
    assert given is not None and store.identity("uses") == given  # given once, then kept
    assert store.is_same_prompt("uses", None)  # runs and buttons made before: still match
    assert not store.is_same_prompt("uses", "someoneelse")
