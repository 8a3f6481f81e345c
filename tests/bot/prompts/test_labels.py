"""Version labels in a real Redis: one version per label, compare-and-set, audit, deletion."""

from __future__ import annotations

import threading

import pytest
import redis

from bot.keys import Workspace
from bot.prompts.audit import AuditLog
from bot.prompts.deletion import delete_prompt, restore_prompt
from bot.prompts.labels import (
    MAX_LABELS_PER_PROMPT,
    LabelError,
    LabelMovedError,
    LabelStore,
    check_label,
)
from bot.prompts.store import PromptStore, UnknownPromptError, UnknownVersionError

TEAM_A = Workspace("TA")
TEAM_B = Workspace("TB")


@pytest.fixture
def labels(redis_client: redis.Redis) -> LabelStore:
    store = PromptStore(redis_client, TEAM_A)
    store.create("uses", "Give uses for {item}", "U1")
    store.edit("uses", "Give two uses for {item}", "U1")
    store.edit("uses", "Give one use for {item}", "U1")
    return LabelStore(redis_client, TEAM_A)


def test_a_label_is_on_one_version_and_moving_it_leaves_the_old_one(labels: LabelStore) -> None:
    first = labels.move("uses", "production", 1, "U1")
    assert (first.before, first.after) == (None, 1)
    labels.move("uses", "staging", 3, "U1")
    second = labels.move("uses", "production", 2, "U2")
    assert (second.before, second.after) == (1, 2)
    assert labels.labels("uses") == {"production": 2, "staging": 3}
    assert labels.version_of("uses", "production") == 2
    assert labels.version_of("uses", "canary") is None
    assert labels.by_version("uses") == {2: ["production"], 3: ["staging"]}


def test_compare_and_set_refuses_a_label_moved_meanwhile(labels: LabelStore) -> None:
    labels.move("uses", "production", 1, "U1")
    labels.move("uses", "production", 3, "U2", expected=1)
    with pytest.raises(LabelMovedError) as refused:
        labels.move("uses", "production", 2, "U3", expected=1)
    assert refused.value.actual == 3
    assert "version 3" in str(refused.value)
    assert labels.version_of("uses", "production") == 3
    # Expecting "nowhere" fails once it is somewhere, and taking it off needs its place.
    with pytest.raises(LabelMovedError):
        labels.move("uses", "production", 2, "U3", expected=None)
    removed = labels.move("uses", "production", None, "U3", expected=3)
    assert (removed.before, removed.after) == (3, None)
    assert labels.labels("uses") == {}


def test_two_concurrent_promotions_from_the_same_place_only_one_lands(
    labels: LabelStore,
) -> None:
    labels.move("uses", "production", 1, "U1")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def promote(version: int) -> None:
        barrier.wait()
        try:
            labels.move("uses", "production", version, f"U{version}", expected=1)
            outcomes.append("moved")
        except LabelMovedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=promote, args=(v,)) for v in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert labels.version_of("uses", "production") in (2, 3)


def test_unknown_prompts_versions_and_bad_names_change_nothing(
    labels: LabelStore, redis_client: redis.Redis
) -> None:
    before = redis_client.llen(TEAM_A.keys.audit())
    with pytest.raises(UnknownVersionError, match="versions 1 to 3"):
        labels.move("uses", "production", 4, "U1")
    with pytest.raises(UnknownPromptError):
        labels.move("nope", "production", 1, "U1")
    for bad in ("Production", "-x", "a b", "x" * 33, "prod/uction", ""):
        with pytest.raises(LabelError):
            labels.move("uses", bad, 1, "U1")
    assert labels.labels("uses") == {}
    assert redis_client.llen(TEAM_A.keys.audit()) == before


def test_label_names_are_short_and_safe() -> None:
    for good in ("production", "staging", "v2.1", "canary_eu-west", "x" * 32):
        assert check_label(good) == good
    for bad in ("", "PROD", "prod!", "a:b", "über", "x" * 33):
        with pytest.raises(LabelError):
            check_label(bad)


def test_every_move_is_in_the_audit_log(labels: LabelStore, redis_client: redis.Redis) -> None:
    labels.move("uses", "production", 1, "U1")
    labels.move("uses", "production", 2, "U2")
    labels.move("uses", "production", None, "U3")
    moves = [e for e in AuditLog(redis_client, TEAM_A).entries("uses") if e.action == "label"]
    assert [(e.user, e.detail) for e in moves] == [
        ("U1", "label production on version 1"),
        ("U2", "label production on version 2 (was on version 1)"),
        ("U3", "removed label production from version 2"),
    ]


def test_a_prompt_has_a_bounded_number_of_labels(labels: LabelStore) -> None:
    for number in range(MAX_LABELS_PER_PROMPT):
        labels.move("uses", f"stage{number}", 1, "U1")
    with pytest.raises(LabelError, match="Move one of them"):
        labels.move("uses", "one-more", 1, "U1")
    labels.move("uses", "stage0", 2, "U1")  # moving an existing one is still fine
    assert len(labels.labels("uses")) == MAX_LABELS_PER_PROMPT


def test_deleting_a_prompt_removes_its_labels_and_a_restore_does_not_bring_them_back(
    labels: LabelStore, redis_client: redis.Redis
) -> None:
    labels.move("uses", "production", 2, "U1")
    delete_prompt(redis_client, TEAM_A, "uses", "U1")
    assert labels.labels("uses") == {}
    assert not redis_client.exists(TEAM_A.keys.prompt_labels("uses"))
    deleted = AuditLog(redis_client, TEAM_A).entries("uses")[-1]
    assert "removed its labels production" in deleted.detail
    restore_prompt(redis_client, TEAM_A, "uses", "U1")
    assert labels.labels("uses") == {}


def test_workspaces_have_their_own_labels(labels: LabelStore, redis_client: redis.Redis) -> None:
    PromptStore(redis_client, TEAM_B).create("uses", "Other {item}", "U9")
    labels.move("uses", "production", 3, "U1")
    other = LabelStore(redis_client, TEAM_B)
    assert other.labels("uses") == {}
    with pytest.raises(UnknownVersionError):
        other.move("uses", "production", 3, "U9")
