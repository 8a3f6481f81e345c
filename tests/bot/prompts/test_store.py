"""Prompts, versions and runs in a real Redis."""

from __future__ import annotations

import json
import threading

import pytest
import redis

from alignment._single_run.types import ConstitutionalPrompt
from bot.keys import Workspace
from bot.prompts.runs import AnswerMessage, RunRecord, RunStore
from bot.prompts.store import (
    InvalidTemplateError,
    NameTakenError,
    PromptStore,
    UnknownPromptError,
    UnknownVersionError,
)

TEAM_A = Workspace("TA")
TEAM_B = Workspace("TB")


@pytest.fixture
def store(redis_client: redis.Redis) -> PromptStore:
    return PromptStore(redis_client, TEAM_A)


def test_create_stores_version_one_as_library_json(
    store: PromptStore, redis_client: redis.Redis
) -> None:
    record = store.create("uses", "Give uses for {item}", "U1")
    assert (record.version, record.variables, record.author) == (1, ["item"], "U1")
    raw = redis_client.lrange(TEAM_A.keys.prompt_versions("uses"), 0, -1)
    assert len(raw) == 1
    prompt = ConstitutionalPrompt.from_dict(json.loads(raw[0])["prompt"])
    assert prompt.preamble == prompt.original_preamble == "Give uses for {item}"
    assert store.current("uses") == record


def test_a_name_is_taken_once(store: PromptStore) -> None:
    store.create("uses", "A {x}", "U1")
    with pytest.raises(NameTakenError):
        store.create("uses", "B {x}", "U2")
    assert store.current("uses").template == "A {x}"
    assert len(store.versions("uses")) == 1


def test_a_labeler_name_blocks_a_prompt_of_that_name(
    store: PromptStore, redis_client: redis.Redis
) -> None:
    redis_client.hset(TEAM_A.keys.names(), "toxicity", "labeler")
    with pytest.raises(NameTakenError) as caught:
        store.create("toxicity", "Is {text} rude?", "U1")
    assert "labeler" in str(caught.value)
    assert store.names() == []


@pytest.mark.parametrize(
    ("template", "fragment"),
    [("", "empty"), ("Use {item.__class__}", "not allowed"), ("x" * 20_001, "limit")],
)
def test_bad_templates_store_nothing(
    store: PromptStore, redis_client: redis.Redis, template: str, fragment: str
) -> None:
    with pytest.raises(InvalidTemplateError) as caught:
        store.create("uses", template, "U1")
    assert fragment in str(caught.value)
    assert redis_client.keys("*") == []


def test_edit_appends_versions_and_keeps_principles(
    store: PromptStore, redis_client: redis.Redis
) -> None:
    store.create("uses", "Uses for {item}", "U1")
    # Principles gathered on version 1 (written here as feedback would leave them).
    key = TEAM_A.keys.prompt_versions("uses")
    first = json.loads(redis_client.lindex(key, 0) or "")
    first["prompt"]["principles"] = ["Be brief."]
    redis_client.lset(key, 0, json.dumps(first))

    second = store.edit("uses", "Three uses for {item}", "U2")
    third = store.edit("uses", "Five uses for {item} in {place}", "U3")
    assert [v.version for v in store.versions("uses")] == [1, 2, 3]
    assert second.prompt.principles == third.prompt.principles == ["Be brief."]
    assert store.current("uses").variables == ["item", "place"]
    assert store.version("uses", 1).template == "Uses for {item}"
    assert [s.current_version for s in store.summaries()] == [3]
    with pytest.raises(UnknownVersionError):
        store.version("uses", 4)


def test_edit_of_an_unknown_prompt_suggests_near_names(store: PromptStore) -> None:
    store.create("gift-ideas", "Ideas for {who}", "U1")
    with pytest.raises(UnknownPromptError) as caught:
        store.edit("gift-idea", "x", "U1")
    assert caught.value.suggestions == ["gift-ideas"]
    assert "Did you mean `gift-ideas`?" in str(caught.value)
    with pytest.raises(UnknownPromptError) as caught:
        store.current("zzz")
    assert caught.value.suggestions == []
    assert "/align list" in str(caught.value)


def test_concurrent_edits_each_get_their_own_version(store: PromptStore) -> None:
    store.create("uses", "v1 {x}", "U0")
    barrier = threading.Barrier(6)

    def edit(n: int) -> None:
        barrier.wait()
        store.edit("uses", f"edit {n} {{x}}", f"U{n}")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = store.versions("uses")
    assert [v.version for v in versions] == list(range(1, 8))
    assert sorted(v.author for v in versions[1:]) == [f"U{n}" for n in range(6)]
    assert store.current("uses").version == 7


def test_workspaces_do_not_see_each_other(redis_client: redis.Redis) -> None:
    PromptStore(redis_client, TEAM_A).create("uses", "A {x}", "U1")
    other = PromptStore(redis_client, TEAM_B)
    assert other.names() == []
    with pytest.raises(UnknownPromptError):
        other.current("uses")
    other.create("uses", "B {x}", "U2")
    assert PromptStore(redis_client, TEAM_A).current("uses").template == "A {x}"
    grid = PromptStore(redis_client, Workspace("TA", enterprise_id="E1"))
    assert grid.names() == []


def test_run_records_and_answer_pointers(redis_client: redis.Redis) -> None:
    runs = RunStore(redis_client, TEAM_A)
    record = RunRecord(
        run_id="r1",
        prompt_name="uses",
        version=2,
        variables={"item": "scissors"},
        rendered_input="Uses for scissors",
        answers=["one", "two"],
        user="U1",
        created_at="2025-01-01T00:00:00+00:00",
        channel="C1",
        thread_ts="100.1",
        root_ts="100.1",
        messages=[AnswerMessage("100.2", 0, 0), AnswerMessage("100.3", 1, 0)],
    )
    runs.save(record)
    assert runs.get("r1") == record
    assert runs.run_in_thread("C1", "100.1") == record
    pointer = runs.answer_at("C1", "100.3")
    assert pointer is not None and (pointer.run_id, pointer.candidate) == ("r1", 1)
    assert runs.answer_at("C1", "100.1") is None
    assert RunStore(redis_client, TEAM_B).get("r1") is None
