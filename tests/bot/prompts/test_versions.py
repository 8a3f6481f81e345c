"""Principle changes, undo, apply, rollback, history, delete and restore against a real Redis."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import redis

from alignment._single_run.principle_proposals import ChangeDecision
from alignment._single_run.principles import PrincipleChange
from alignment._single_run.types import ConstitutionalPrompt
from bot.feedback.undo import undo_change
from bot.keys import Workspace
from bot.prompts.audit import AuditLog
from bot.prompts.deletion import (
    Deletion,
    DeletionEvent,
    RestoreError,
    choose_deletion,
    delete_prompt,
    deletions,
    restorable,
    restore_prompt,
)
from bot.prompts.principle_updates import (
    MAX_DECISIONS,
    FeedbackSource,
    TooBusyError,
    change_from_feedback,
)
from bot.prompts.store import PromptStore, UnknownPromptError
from bot.prompts.version_log import StaleVersionError, make_version_current
from bot.prompts.versions import (
    NothingToApplyError,
    apply_principles,
    history,
    rollback,
)

WORKSPACE = Workspace("T0VERSIONS")


def source(text: str, user: str = "U0ANA") -> FeedbackSource:
    return FeedbackSource(user, "critique", text, "run1", 0, 1)


def add_at_end(text: str) -> Callable[[Sequence[str]], ChangeDecision]:
    def decide(principles: Sequence[str]) -> ChangeDecision:
        change = PrincipleChange("add", len(principles), None, text, "new")
        return ChangeDecision(change, "new")

    return decide


@pytest.fixture
def store(redis_client: redis.Redis) -> PromptStore:
    created = PromptStore(redis_client, WORKSPACE)
    created.create("uses", "Give three uses for {item}.", "U0OWNER")
    return created


def give(client: redis.Redis, text: str, user: str = "U0ANA") -> int:
    outcome = change_from_feedback(client, WORKSPACE, "uses", source(text, user), add_at_end(text))
    assert outcome.version is not None
    return outcome.version.version


def test_a_change_decided_on_a_list_that_moved_is_replayed_without_a_new_decision(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "A")
    give(redis_client, "B")
    lists_seen: list[list[str]] = []

    def decide(principles: Sequence[str]) -> ChangeDecision:
        lists_seen.append(list(principles))
        if len(lists_seen) == 1:
            # Someone else deletes "A" while this decision is being made.
            give_delete_first(redis_client)
        # Delete the principle "B", wherever it is in the list this decision was shown.
        index = list(principles).index("B")
        return ChangeDecision(PrincipleChange("delete", index, "B", None, "drop"), "drop")

    outcome = change_from_feedback(redis_client, WORKSPACE, "uses", source("no B"), decide)

    # "B" moved from position 1 to 0; the decision follows it instead of asking again.
    assert lists_seen == [["A", "B"]]
    assert outcome.attempts == 1
    assert outcome.change == PrincipleChange("delete", 0, "B", None, "drop")
    assert store.current("uses").prompt.principles == []
    assert store.current("uses").version == 5


def test_a_change_that_no_longer_applies_is_decided_again(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "A")
    lists_seen: list[list[str]] = []

    def decide(principles: Sequence[str]) -> ChangeDecision:
        lists_seen.append(list(principles))
        if len(lists_seen) == 1:
            give_delete_first(redis_client)  # the principle this edit is about disappears
        if not principles or principles[0] != "A":
            return ChangeDecision(None, "nothing left to edit")
        return ChangeDecision(PrincipleChange("edit", 0, "A", "A, briefly", "shorter"), "shorter")

    outcome = change_from_feedback(redis_client, WORKSPACE, "uses", source("shorter A"), decide)

    assert lists_seen == [["A"], []]
    assert (outcome.version, outcome.reason) == (None, "nothing left to edit")


def test_model_decisions_per_feedback_are_capped(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "A")
    decisions: list[list[str]] = []

    def decide(principles: Sequence[str]) -> ChangeDecision:
        # Every time, someone rewords the principle just after this decision saw it.
        decisions.append(list(principles))
        seen = principles[0]
        reword = PrincipleChange("edit", 0, seen, f"{seen}!", "louder")
        change_from_feedback(
            redis_client, WORKSPACE, "uses", source("louder", "U0BEN"),
            lambda _: ChangeDecision(reword, "louder"),
        )  # fmt: skip
        return ChangeDecision(PrincipleChange("edit", 0, seen, "quiet", "quiet"), "quiet")

    with pytest.raises(TooBusyError):
        change_from_feedback(redis_client, WORKSPACE, "uses", source("quiet"), decide)
    assert len(decisions) == MAX_DECISIONS


def give_delete_first(client: redis.Redis) -> None:
    def decide(principles: Sequence[str]) -> ChangeDecision:
        return ChangeDecision(PrincipleChange("delete", 0, principles[0], None, "x"), "x")

    change_from_feedback(client, WORKSPACE, "uses", source("no A", "U0BEN"), decide)


def test_no_change_writes_no_version(redis_client: redis.Redis, store: PromptStore) -> None:
    def decide(principles: Sequence[str]) -> ChangeDecision:
        return ChangeDecision(None, "already covered")

    outcome = change_from_feedback(redis_client, WORKSPACE, "uses", source("same"), decide)
    assert (outcome.version, outcome.reason) == (None, "already covered")
    assert [v.version for v in store.versions("uses")] == [1]


def test_undo_reverts_only_its_own_change_wherever_it_moved(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    first = give(redis_client, "A")
    give(redis_client, "B")
    give_delete_first(redis_client)  # "A" deleted; "B" moved from position 2 to 1
    second_change = 3

    outcome = undo_change(redis_client, WORKSPACE, "uses", second_change, "U0CAL")

    assert outcome.status == "undone"
    assert outcome.inverse == PrincipleChange("delete", 0, "B", None, "undo")
    assert store.current("uses").prompt.principles == []
    # Undoing the deletion of "A" brings it back; undoing twice says so and changes nothing.
    assert undo_change(redis_client, WORKSPACE, "uses", 4, "U0CAL").status == "undone"
    assert store.current("uses").prompt.principles == ["A"]
    again = undo_change(redis_client, WORKSPACE, "uses", 4, "U0CAL")
    assert again.status == "already_undone"
    assert store.current("uses").prompt.principles == ["A"]
    assert first == 2


def test_undo_refuses_when_its_principle_changed_since(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    added = give(redis_client, "Keep it short")

    def reword(principles: Sequence[str]) -> ChangeDecision:
        change = PrincipleChange("edit", 0, principles[0], "Keep it under 50 words", "tighter")
        return ChangeDecision(change, "tighter")

    change_from_feedback(redis_client, WORKSPACE, "uses", source("tighter"), reword)
    before = store.current("uses")

    outcome = undo_change(redis_client, WORKSPACE, "uses", added, "U0ANA")

    assert outcome.status == "changed_since"
    assert "Keep it short" in outcome.message and "edited or deleted since" in outcome.message
    assert store.current("uses") == before
    # The edit itself can be undone: the old wording comes back.
    assert undo_change(redis_client, WORKSPACE, "uses", 3, "U0ANA").status == "undone"
    assert store.current("uses").prompt.principles == ["Keep it short"]


def test_apply_rewrites_again_when_the_prompt_moved_during_the_rewrite(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    with pytest.raises(NothingToApplyError):
        apply_principles(redis_client, WORKSPACE, "uses", "U0ANA", lambda prompt: prompt)
    give(redis_client, "Be brief")
    folds: list[list[str]] = []

    def fold(prompt: ConstitutionalPrompt) -> ConstitutionalPrompt:
        folds.append(list(prompt.principles))
        if len(folds) == 1:
            give(redis_client, "Be kind", "U0BEN")
        prompt.preamble = prompt.original_preamble + " " + " ".join(prompt.principles)
        return prompt

    change = apply_principles(redis_client, WORKSPACE, "uses", "U0ANA", fold)

    assert folds == [["Be brief"], ["Be brief", "Be kind"]]
    assert change.after.template == "Give three uses for {item}. Be brief Be kind"
    assert (change.before.version, change.after.version) == (3, 4)


def test_rollback_and_history_tell_every_step(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "Be brief")
    store.edit("uses", "List uses for {item}.", "U0BEN")
    undo_change(redis_client, WORKSPACE, "uses", 2, "U0CAL")
    change = rollback(redis_client, WORKSPACE, "uses", 2, "U0ANA")

    assert change.after.version == 5
    assert change.after.template == "Give three uses for {item}."
    assert change.after.prompt.principles == ["Be brief"]
    entries = history(redis_client, WORKSPACE, "uses")
    assert [(e.version, e.user) for e in entries] == [
        (1, "U0OWNER"),
        (2, "U0ANA"),
        (3, "U0BEN"),
        (4, "U0CAL"),
        (5, "U0ANA"),
    ]
    whats = [e.what for e in entries]
    assert whats[0] == "created the prompt"
    assert whats[1].startswith("added principle 1: Be brief (from critique)")
    assert whats[2] == "edited the template"
    assert whats[3].startswith("undid version 2")
    assert whats[4] == "rolled back to version 2"
    assert [e.undone for e in entries] == [False, True, False, False, False]
    assert [e.current for e in entries] == [False, False, False, False, True]
    actions = [e.action for e in AuditLog(redis_client, WORKSPACE).entries("uses")]
    assert actions == ["create", "feedback", "edit", "undo", "rollback"]


def test_delete_hides_the_prompt_until_restored(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "Be brief")

    delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")

    assert not store.exists("uses") and store.names() == []
    with pytest.raises(UnknownPromptError):
        store.current("uses")
    with pytest.raises(UnknownPromptError):
        delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    deleted = restorable(redis_client, WORKSPACE, "uses")
    assert deleted is not None and deleted.versions == 2

    # While the name is taken by a new prompt, the old one cannot come back.
    store.create("uses", "Something else {x}", "U0BEN")
    with pytest.raises(RestoreError, match="in use again"):
        restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")

    # The latest deletion comes back: the second prompt, not the first.
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    assert store.current("uses").template == "Something else {x}"
    assert [e.action for e in AuditLog(redis_client, WORKSPACE).entries("uses")][-2:] == [
        "delete",
        "restore",
    ]
    with pytest.raises(RestoreError, match="in use again"):
        restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")


def test_a_restored_prompt_has_every_version_and_note_back(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "Be brief")
    before = store.versions("uses")
    delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    assert store.versions("uses") == before
    assert history(redis_client, WORKSPACE, "uses")[1].what.startswith("added principle 1")
    # Undo still works on a change made before the deletion.
    assert undo_change(redis_client, WORKSPACE, "uses", 2, "U0ANA").status == "undone"
    with pytest.raises(RestoreError, match="no deleted prompt"):
        restore_prompt(redis_client, WORKSPACE, "never-deleted", "U0ADMIN")


def snapshot(client: redis.Redis) -> dict[str, object]:
    """Every key with its whole value, to show an operation changed nothing at all."""
    readers: dict[str, Callable[[str], object]] = {
        "string": client.get,
        "list": lambda key: client.lrange(key, 0, -1),
        "hash": client.hgetall,
        "set": client.smembers,
        "zset": lambda key: client.zrange(key, 0, -1, withscores=True),
    }
    keys = [str(key) for key in client.keys("*")]
    return {key: readers[str(client.type(key))](key) for key in keys}


def test_any_deletion_of_a_name_can_be_restored_with_its_versions(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    give(redis_client, "Be brief")
    first_versions = store.versions("uses")
    first = delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    store.create("uses", "Something else {x}", "U0BEN")
    second = delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    listed = deletions(redis_client, WORKSPACE, "uses")
    assert [d.deleted.deletion for d in listed] == [first.deletion, second.deletion]
    assert [d.deleted.versions for d in listed] == [2, 1]

    # The older deletion, named by the short id history shows: every version and note is back.
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN", listed[0].short_id)
    assert store.versions("uses") == first_versions
    assert history(redis_client, WORKSPACE, "uses")[1].what.startswith("added principle 1")
    assert undo_change(redis_client, WORKSPACE, "uses", 2, "U0ANA").status == "undone"
    restored = deletions(redis_client, WORKSPACE, "uses")
    assert [d.restored is not None for d in restored] == [True, False]

    # The later one waits for the name to be free again, then comes back whole too.
    delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN", second.deletion)
    assert store.current("uses").template == "Something else {x}"
    assert [v.version for v in store.versions("uses")] == [1]


def test_a_restore_that_cannot_happen_changes_nothing(
    redis_client: redis.Redis, store: PromptStore
) -> None:
    first = delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    store.create("uses", "Something else {x}", "U0BEN")
    second = delete_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN")
    restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN", first.deletion[:4])
    before = snapshot(redis_client)

    second_id = second.deletion[:6]
    # Each refusal says what to do: the unknown id gets the list of ids there are; a taken
    # name gets the command that restores this very deletion once the name is free, since a
    # plain restore would then bring back the prompt deleted to free it.
    refusals = [
        ("beef00", "has no deletion `beef00`", second_id),
        (first.deletion, "was restored already", "/align history uses"),
        (second_id, "in use again, by a current prompt", f"/align restore uses {second_id}"),
        (None, "in use again, by a current prompt", f"/align restore uses {second_id}"),
    ]
    for wanted, problem, way_out in refusals:
        with pytest.raises(RestoreError, match=problem) as caught:
            restore_prompt(redis_client, WORKSPACE, "uses", "U0ADMIN", wanted)
        assert way_out in str(caught.value), wanted
        assert snapshot(redis_client) == before, wanted


def test_a_deletion_is_named_by_enough_of_its_id() -> None:
    def deleted(deletion: str) -> Deletion:
        return Deletion(DeletionEvent("deleted", deletion, "U0ADMIN", "2026-01-01T00:00:00", 1))

    known = [deleted("abcd11112222"), deleted("abcd33334444")]
    assert choose_deletion("uses", known, "abcd3") == known[1]
    assert choose_deletion("uses", known, None) == known[1]
    with pytest.raises(RestoreError, match="more than one deletion"):
        choose_deletion("uses", known, "abcd")
    with pytest.raises(RestoreError, match="no deletion"):
        choose_deletion("uses", known, "abc")


def test_a_version_kept_aside_goes_live_only_while_the_prompt_has_not_moved(
    store: PromptStore, redis_client: redis.Redis
) -> None:
    current = store.current("uses").version
    give(redis_client, "be brief")

    def fold(prompt: ConstitutionalPrompt) -> ConstitutionalPrompt:
        prompt.preamble += " Be brief."
        return prompt

    kept = apply_principles(redis_client, WORKSPACE, "uses", "U0ANA", fold, make_current=False)
    assert store.current("uses").version == current + 1  # the feedback's version, not the apply's
    aside = kept.after.version
    give(redis_client, "name real objects")  # the prompt moves on
    with pytest.raises(StaleVersionError):
        make_version_current(redis_client, WORKSPACE, "uses", aside, current + 1, "U0ANA", "x")
    assert store.current("uses").version == current + 3
    make_version_current(redis_client, WORKSPACE, "uses", aside, current + 3, "U0ANA", "why")
    assert store.current("uses").version == aside
    assert history(redis_client, WORKSPACE, "uses")[aside - 1].current
