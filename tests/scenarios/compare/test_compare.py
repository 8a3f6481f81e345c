"""Examples and comparisons end to end: commands, buttons and uploads as signed requests to the
product's bot, model calls over HTTP to a fake Gemini whose judge verdicts are scripted, the
comparison run as a job by a worker, results read back from the Slack emulator."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from bot.compare.views import CANCEL_ACTION, MAKE_CURRENT_ACTION
from bot.examples.store import ExampleStore
from bot.feedback.actions import ANSWER_ACTIONS, MENU_ACTION
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore
from tests.fakes.bot_harness import wait_until
from tests.fakes.slash_commands import CHANNEL
from tests.scenarios.compare.world import PRINCIPLE, WORKSPACE, World
from tests.scenarios.feedback.world import Teammate, action_values, message_text, with_action
from tests.scenarios.labelers.support import Upload, bot_replies, mention


def click(world: World, person: Teammate, message: dict[str, Any], action: str) -> str:
    """Click a button; the private reply (or the replaced message) it brings."""
    before = len(world.responses.replies)
    value = action_values(message, action)[0]
    assert person.click(message, action, value).status == 200
    return message_text(world.responses.wait_for_reply(before + 1))


def private_reply(world: World, send: Callable[[], Any]) -> str:
    """What the bot says privately after ``send`` (a menu choice, shortcut or click)."""
    before = len(world.responses.replies)
    assert send().status == 200
    return message_text(world.responses.wait_for_reply(before + 1))


def answer_of_run(world: World, item: str) -> dict[str, Any]:
    """The run's answer in its final form: the "Feedback" menu under it, the run's metadata."""

    def found() -> dict[str, Any] | None:
        for message in world.slack.channel_messages(CHANNEL):
            final = with_action(message, MENU_ACTION) and "metadata" in message
            if final and item in message_text(message):
                return message
        return None

    return wait_until(found, 15, what=f"the answer about {item}")


def csv_rows(world: World, name: str) -> list[dict[str, str]]:
    file = wait_until(
        lambda: next((f for f in world.slack.files.values() if f.name == name and f.content), None),
        15,
        what=f"the file {name}",
    )
    return list(csv.DictReader(io.StringIO(file.content.decode())))


def test_examples_saved_three_ways_then_a_compare_counts_and_make_current_on_click(
    start: Callable[..., World],
) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()

    # 1. A command, with an ideal answer.
    told = ana.ask('examples uses add item=apple ideal="Eat it; bake it; juggle it."')
    assert "Saved 1 example of `uses` (e1), 1 with an ideal answer" in told

    # 2. "Save as example" in a run's answer's Feedback menu; the rewrite given in that thread
    # becomes the ideal.
    ana.send("run uses item=rope")
    answer = answer_of_run(world, "long: rope")
    ana.reply(answer["thread_ts"], "rewrite: Tie a knot; climb; swing.")
    world.wait_text(answer["thread_ts"], "Principle added")
    assert "Saved 1 example of `uses` (e2), 1 with an ideal answer" in private_reply(
        world, lambda: ana.choose(answer, MENU_ACTION, "example")
    )
    # The same input again, from the message shortcut, is not kept twice.
    example = ANSWER_ACTIONS.get("example")
    assert example is not None
    assert "already example e2" in private_reply(
        world, lambda: ana.shortcut(answer, example.callback_id)
    )

    # 3. A CSV upload: the variables' column and an optional ideal column.
    upload = Upload(
        world.slack,
        b"item,ideal\nchair,\ndesk,Write on it.\n",
        mention("examples uses"),
        channel=CHANNEL,
    )
    upload.send_all(world.bot)
    reply = wait_until(lambda: bot_replies(world.slack, upload), 15, what="the upload's reply")
    assert "Saved 2 examples of `uses` (e3, e4), 1 with an ideal answer" in message_text(reply[0])

    saved = ExampleStore(world.services.redis, WORKSPACE).all("uses")
    assert [(e.id, e.values, e.ideal, e.source) for e in saved] == [
        ("e1", {"item": "apple"}, "Eat it; bake it; juggle it.", "command"),
        ("e2", {"item": "rope"}, "Tie a knot; climb; swing.", "button"),
        ("e3", {"item": "chair"}, None, "upload"),
        ("e4", {"item": "desk"}, "Write on it.", "upload"),
    ]
    listed = ana.ask("examples uses")
    assert "*e2*" in listed and "Tie a knot" in listed

    # Known verdicts: the new version wins on apple and rope, loses on chair; on desk the
    # judge always prefers the answer it reads first, which the order swap turns into a tie.
    world.verdicts = {"apple": "new", "rope": "new", "chair": "old", "desk": "first"}
    current = world.prompts().current("uses").version
    ana.send("apply uses --compare")
    world.run_jobs()
    progress = world.progress_message()
    thread = progress["ts"]
    result = world.wait_text(thread, "B better on")
    assert f"version {current} (A) with version {current + 1} (B)" in message_text(result)
    assert "B better on *2*, worse on *1*, tied on *1* of 4 examples" in message_text(result)
    assert PRINCIPLE[:40] in message_text(result)  # the per-principle table
    # The loss, with both answers side by side.
    lost = world.wait_text(thread, "B lost on e3")
    fields = [f["text"] for b in lost["blocks"] for f in b.get("fields", [])]
    assert fields == ["*A*\nlong: chair", "*B*\nshort: chair"]
    # Every judge prompt carried the principle, and the ideal answers where there was one.
    judged = [p for p in world.model_prompts() if "<answer_1>" in p]
    assert len(judged) == 8 and all(PRINCIPLE in p for p in judged)
    assert sum("<ideal>" in p for p in judged) == 6  # apple, rope and desk, in both orders

    rows = csv_rows(world, f"compare-uses-v{current}-v{current + 1}.csv")
    assert [(r["example"], r["outcome"]) for r in rows] == [
        ("e1", "B better"),
        ("e2", "B better"),
        ("e3", "B worse"),
        ("e4", "tie"),
    ]
    assert (rows[3]["verdict_a_first"], rows[3]["verdict_b_first"]) == ("A", "B")

    # Nothing went live by itself: runs still use the version compared against.
    assert world.prompts().current("uses").version == current
    assert len(world.prompts().versions("uses")) == current + 1
    made = click(world, ana, result, MAKE_CURRENT_ACTION)
    assert f"made version {current + 1} of `uses` current" in made
    assert world.prompts().current("uses").version == current + 1
    # A second click changes nothing.
    assert "already made current" in click(world, ana, result, MAKE_CURRENT_ACTION)


def test_comparing_again_reuses_every_answer_and_verdict(start: Callable[..., World]) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()
    ana.ask("examples uses add item=apple")
    ana.ask("examples uses add item=rope")
    world.verdicts = {"apple": "new", "rope": "old"}
    ana.send("apply uses --compare")
    world.run_jobs()
    world.wait_text(world.progress_message()["ts"], "B better on")
    calls = len(world.gemini.requests)

    ana.send("compare uses 2 3")
    world.run_jobs()

    def second_result() -> dict[str, Any] | None:
        found = [
            m
            for m in world.slack.channel_messages(CHANNEL)
            if "0 model calls made" in message_text(m)
        ]
        return found[0] if found else None

    again = wait_until(second_result, 15, what="the second comparison's result")
    assert "B better on *1*, worse on *1*, tied on *0*" in message_text(again)
    assert len(world.gemini.requests) == calls


def test_make_current_is_for_admins_when_admins_are_set(start: Callable[..., World]) -> None:
    world = start(ALIGN_ADMINS="U0BOSS")
    world.prompt_with_principle()
    boss, ana = world.person("U0BOSS"), world.person("U0ANA")
    boss.ask("examples uses add item=apple")
    world.verdicts = {"apple": "new"}
    boss.send("apply uses --compare")
    world.run_jobs()
    result = world.wait_text(world.progress_message()["ts"], "B better on")

    refused = click(world, ana, result, MAKE_CURRENT_ACTION)
    assert "Only the bot's admins" in refused and "<@U0BOSS>" in refused
    assert world.prompts().current("uses").version == 2
    click(world, boss, result, MAKE_CURRENT_ACTION)
    assert world.prompts().current("uses").version == 3


def test_save_as_example_from_the_shortcut_keeps_the_input_and_only_works_on_answers(
    start: Callable[..., World],
) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()
    example = ANSWER_ACTIONS.get("example")
    assert example is not None
    ana.send("run uses item=stick")
    answer = answer_of_run(world, "long: stick")
    root = next(m for m in world.slack.channel_messages(CHANNEL) if m["ts"] == answer["thread_ts"])
    # The run's root message is the bot's, but not an answer: nothing is saved, and it says why.
    refused = private_reply(world, lambda: ana.shortcut(root, example.callback_id))
    assert "*Save as example* work on the answers I post" in refused
    assert ExampleStore(world.services.redis, WORKSPACE).all("uses") == []
    # On the answer: its input is kept, with no ideal since nobody rewrote it.
    saved = private_reply(world, lambda: ana.shortcut(answer, example.callback_id))
    assert "Saved 1 example of `uses` (e1). It now has 1 of at most 50." in saved
    kept = ExampleStore(world.services.redis, WORKSPACE).all("uses")
    assert [(e.values, e.ideal, e.user) for e in kept] == [({"item": "stick"}, None, ana.user)]


def test_examples_are_checked_before_anything_is_kept(start: Callable[..., World]) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()
    unknown = ana.ask("examples uses add colour=red")
    assert "`uses` has no variable `colour`" in unknown and "`item`" in unknown
    missing = ana.ask('examples uses add ideal="Something"')
    assert "give a value for `item`" in missing
    long = ana.ask(f"examples uses add item={'x' * 4001}")
    assert "4,001 characters; the limit is 4,000" in long
    same = ana.ask("compare uses")
    assert "Version 2 is both A and B" in same
    nothing = ana.ask("compare uses 1 2")
    assert "`uses` has no examples to compare on" in nothing

    upload = Upload(
        world.slack, b"item,color\nchair,red\n", mention("examples uses"), channel=CHANNEL
    )
    upload.send_all(world.bot)
    reply = wait_until(lambda: bot_replies(world.slack, upload), 15, what="the upload's reply")
    assert "column(s) 'color' that the template does not use" in message_text(reply[0])
    assert ExampleStore(world.services.redis, WORKSPACE).all("uses") == []
    assert world.gemini.requests == []


def test_a_cancelled_comparison_calls_no_model(start: Callable[..., World]) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()
    ana.ask("examples uses add item=apple")
    PromptStore(world.services.redis, WORKSPACE).edit("uses", "List uses for {item}.", "U0ANA")
    ana.send("compare uses 2 3")
    progress = world.progress_message()
    before = len(world.responses.replies)
    assert (
        ana.click(progress, CANCEL_ACTION, action_values(progress, CANCEL_ACTION)[0]).status == 200
    )
    assert "asked to stop comparing `uses` version 2 with 3" in message_text(
        world.responses.wait_for_reply(before + 1)
    )
    world.run_jobs()

    def cancelled() -> bool:
        return any(
            "cancelled" in str(c.params.get("text")) for c in world.slack.calls_to("chat.update")
        )

    wait_until(cancelled, 15, what="the progress message saying it was cancelled")
    assert world.gemini.requests == []


def test_production_is_the_default_a_and_follows_make_current(
    start: Callable[..., World],
) -> None:
    world = start()
    world.prompt_with_principle()
    ana = world.person()
    ana.ask("examples uses add item=apple")
    labels = LabelStore(world.services.redis, WORKSPACE)
    labels.move("uses", "production", 1, "U0OWNER")
    world.verdicts = {"apple": "new"}

    def result_of(a: int, b: int) -> dict[str, Any]:
        wanted = f"version {a} (A) with version {b} (B)"

        def found() -> dict[str, Any] | None:
            for message in world.slack.channel_messages(CHANNEL):
                text = message_text(message)
                if wanted in text and "B better on *" in text:  # the result, not the progress
                    return message
            return None

        return wait_until(found, 15, what=f"the result of comparing {a} with {b}")

    # With no versions named, A is the production version, not the current one (2).
    ana.send("compare uses")
    world.run_jobs()
    result_of(1, 2)

    # Production on the current version follows it when the compared new version goes live.
    labels.move("uses", "production", 2, "U0OWNER", expected=1)
    ana.send("apply uses --compare")
    world.run_jobs()
    result = result_of(2, 3)
    assert labels.version_of("uses", "production") == 2  # nothing moves before the click
    click(world, ana, result, MAKE_CURRENT_ACTION)
    assert world.prompts().current("uses").version == 3
    assert labels.version_of("uses", "production") == 3
