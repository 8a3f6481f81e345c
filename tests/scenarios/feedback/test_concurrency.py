"""Fifty pieces of feedback on one prompt at once, through the product's app over real HTTP.

The scripted model mixes add, edit and delete on the same principles, and the first decisions
are held until several are in flight, so compare-and-set conflicts are certain. Every piece must
land; every stored version is the one before with its stored change applied; a change that lost a
race is replayed on the fresh list when it still applies, so there are fewer model decisions than
writes tried; and every posted change message is the stored change.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import redis

from bot.app import register_product as product_listeners
from bot.feedback import views as feedback_views
from bot.keys import Workspace
from bot.prompts.principle_updates import MAX_DECISIONS
from bot.prompts.runs import AnswerMessage, RunRecord, RunStore
from bot.prompts.store import PromptStore
from bot.prompts.version_log import notes
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, wait_until
from tests.fakes.models import Request, ScriptedModel
from tests.fakes.slack_emulator import TEAM_ID, SlackEmulator
from tests.fakes.slash_commands import CHANNEL, ResponseUrlServer
from tests.scenarios.feedback.world import (
    RUN_ANSWER,
    Teammate,
    model_answer,
    thread_messages,
    with_action,
)

PIECES = 50
# Decisions held back until this many are in flight: all of them see the same list.
HELD_DECISIONS = 6
THREAD_TS = "1700000000.000100"
ANSWER_TS = "1700000000.000200"


def saved_run(client: redis.Redis, workspace: Workspace) -> RunRecord:
    PromptStore(client, workspace).create("uses", "Give three uses for {item}.", "U0OWNER")
    run = RunRecord(
        run_id="run0concurrent",
        prompt_name="uses",
        version=1,
        variables={"item": "scissors"},
        rendered_input="Give three uses for scissors.",
        answers=[RUN_ANSWER],
        user="U0OWNER",
        created_at="2025-01-01T00:00:00+00:00",
        channel=CHANNEL,
        thread_ts=THREAD_TS,
        root_ts=THREAD_TS,
        messages=[AnswerMessage(ts=ANSWER_TS, candidate=0, part=0)],
    )
    RunStore(client, workspace).save(run)
    return run


def held_model(services: Services) -> ScriptedModel:
    model = services.models[services.settings.model_spec]
    assert isinstance(model, ScriptedModel)
    gate = threading.Barrier(HELD_DECISIONS)
    seen = {"decisions": 0}
    lock = threading.Lock()

    def respond(request: Request) -> str:
        if "exactly one change" in request.prompt:
            with lock:
                seen["decisions"] += 1
                held = seen["decisions"] <= HELD_DECISIONS
            if held:
                gate.wait(timeout=10)
        return model_answer(request.prompt)

    model.responder = respond
    return model


def test_fifty_concurrent_pieces_land_in_some_serial_order(
    services: Services,
    in_process_bot: Callable[..., InProcessBot],
    slack: SlackEmulator,
    redis_client: redis.Redis,
) -> None:
    workspace = Workspace(TEAM_ID)
    saved_run(redis_client, workspace)
    model = held_model(services)
    bot = in_process_bot(product_listeners)
    with ResponseUrlServer() as responses:
        people = [Teammate(bot, responses, f"U0P{n:03d}") for n in range(PIECES)]

        def give(n: int) -> int:
            return people[n].reply(THREAD_TS, f"critique: op-{n}").status

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(give, range(PIECES)))
    assert statuses == [200] * PIECES

    def change_messages() -> list[dict[str, object]] | None:
        found = [
            m
            for m in thread_messages(slack, THREAD_TS)
            if with_action(m, feedback_views.UNDO_ACTION)
        ]
        return found if len(found) >= PIECES else None

    posted = wait_until(change_messages, 60, what=f"{PIECES} change messages")
    assert len(posted) == PIECES

    store = PromptStore(redis_client, workspace)
    versions = store.versions("uses")
    assert [v.version for v in versions] == list(range(1, PIECES + 2))
    by_version = notes(redis_client, workspace, "uses")
    order = [str(by_version[v].feedback) for v in range(2, PIECES + 2)]
    assert sorted(order) == sorted(f"op-{n}" for n in range(PIECES))

    # Each stored version is the one before it with exactly its stored change applied.
    for before, after in itertools.pairwise(versions):
        change = by_version[after.version].principle_change
        assert change is not None
        assert change.apply(before.prompt.principles) == after.prompt.principles
    kinds = {str(by_version[v].change["kind"]) for v in range(2, PIECES + 2)}  # type: ignore[index]
    assert kinds == {"add", "edit", "delete"}

    # Conflicts happened: some losers landed by replay on the moved list, with no new model
    # decision; others (their principle had changed) were decided again, within the cap.
    extras = [by_version[v].extra for v in range(2, PIECES + 2)]
    assert any(extra["replayed"] for extra in extras)
    attempts = [int(extra["attempts"]) for extra in extras]
    assert max(attempts) <= MAX_DECISIONS
    decisions = [r for r in model.requests if "exactly one change" in r.prompt]
    assert len(decisions) == sum(attempts)

    # Every posted change message is the stored change of its version, as the bot renders it.
    for version in range(2, PIECES + 2):
        note = by_version[version]
        change = note.principle_change
        assert change is not None
        expected = feedback_views.change_posted(
            "uses",
            version,
            change,
            note.user,
            str(note.feedback_kind),
            str(note.feedback),
            change.reason,
        )
        matching = [m for m in posted if m["blocks"] == expected.blocks]
        assert len(matching) == 1, f"version {version}"
