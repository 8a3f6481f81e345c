"""Saved examples in Redis: all or nothing, a limit per prompt, ids never reused, and examples
that follow their prompt through delete and restore."""

from __future__ import annotations

import pytest
import redis

from bot.examples.store import (
    MAX_EXAMPLES_PER_PROMPT,
    ExampleError,
    ExampleStore,
    NewExample,
    check_example,
)
from bot.keys import Workspace
from bot.prompts.deletion import delete_prompt, restore_prompt
from bot.prompts.store import PromptStore

WORKSPACE = Workspace("T0EXAMPLES")


def rows(count: int, start: int = 0) -> list[NewExample]:
    return [NewExample({"item": f"thing {n}"}) for n in range(start, start + count)]


def test_the_limit_keeps_all_or_none_and_says_how_many_fit(redis_client: redis.Redis) -> None:
    store = ExampleStore(redis_client, WORKSPACE)
    store.add("uses", rows(MAX_EXAMPLES_PER_PROMPT - 2), "U0ANA", "command")
    with pytest.raises(ExampleError, match=r"at most 50, so 2 more fit and 3 were given"):
        store.add("uses", rows(3, 100), "U0ANA", "upload")
    assert store.count("uses") == MAX_EXAMPLES_PER_PROMPT - 2
    store.add("uses", rows(2, 100), "U0ANA", "upload")
    assert store.count("uses") == MAX_EXAMPLES_PER_PROMPT


def test_a_removed_id_is_never_given_again(redis_client: redis.Redis) -> None:
    store = ExampleStore(redis_client, WORKSPACE)
    first = store.add("uses", rows(2), "U0ANA", "command")
    assert [e.id for e in first] == ["e1", "e2"]
    assert store.remove("uses", "e2") and not store.remove("uses", "e2")
    assert [e.id for e in store.add("uses", rows(1, 5), "U0ANA", "command")] == ["e3"]
    assert [e.id for e in store.all("uses")] == ["e1", "e3"]


def test_checks_name_unknown_and_missing_variables() -> None:
    with pytest.raises(ExampleError, match=r"no variable `colour`.*`item`, `place`"):
        check_example("uses", ["item", "place"], NewExample({"item": "a", "colour": "b"}))
    with pytest.raises(ExampleError, match="row 3: give a value for `place`"):
        check_example("uses", ["item", "place"], NewExample({"item": "a"}), "row 3")


def test_examples_leave_and_come_back_with_their_prompt(redis_client: redis.Redis) -> None:
    PromptStore(redis_client, WORKSPACE).create("uses", "Uses for {item}.", "U0ANA")
    store = ExampleStore(redis_client, WORKSPACE)
    store.add("uses", rows(2), "U0ANA", "command")
    delete_prompt(redis_client, WORKSPACE, "uses", "U0ANA")
    assert store.all("uses") == []
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ANA", None)
    assert [e.id for e in store.all("uses")] == ["e1", "e2"]
