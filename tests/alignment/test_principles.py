import json

import pytest

from alignment._single_run.principles import PrincipleChange
from alignment.errors import PrincipleConflictError

START = ["Be brief.", "Use plain words.", "Cite sources."]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (PrincipleChange("add", 3, None, "Be kind."), [*START, "Be kind."]),
        (PrincipleChange("add", 1, None, "Be kind."), ["Be brief.", "Be kind.", *START[1:]]),
        (
            PrincipleChange("edit", 1, "Use plain words.", "Use short words."),
            ["Be brief.", "Use short words.", "Cite sources."],
        ),
        (PrincipleChange("delete", 0, "Be brief.", None), START[1:]),
    ],
)
def test_apply_returns_new_list_and_leaves_input_alone(
    change: PrincipleChange, expected: list[str]
) -> None:
    original = list(START)
    assert change.apply(original) == expected
    assert original == START


@pytest.mark.parametrize(
    "change",
    [
        PrincipleChange("add", 4, None, "Be kind."),
        PrincipleChange("edit", 3, "Cite sources.", "x"),
        PrincipleChange("edit", 1, "Be brief.", "x"),
        PrincipleChange("delete", 5, "Be brief.", None),
        PrincipleChange("delete", 2, "Use plain words.", None),
    ],
)
def test_change_against_a_list_that_moved_on_is_a_conflict(change: PrincipleChange) -> None:
    with pytest.raises(PrincipleConflictError):
        change.apply(START)


@pytest.mark.parametrize(
    "change",
    [
        PrincipleChange("add", 1, None, "Be kind.", "asked for warmth"),
        PrincipleChange("edit", 2, "Cite sources.", "Cite two sources."),
        PrincipleChange("delete", 0, "Be brief.", None),
    ],
)
def test_inverse_undoes_the_change(change: PrincipleChange) -> None:
    changed = change.apply(START)
    assert change.inverse().apply(changed) == START
    twice = change.inverse().inverse()
    assert (twice.kind, twice.index, twice.old_text, twice.new_text) == (
        change.kind,
        change.index,
        change.old_text,
        change.new_text,
    )


@pytest.mark.parametrize(
    "change",
    [
        PrincipleChange("add", 0, None, "Sé amable. 👍", 'feedback: "warmer"'),
        PrincipleChange("edit", 2, "a", "b"),
        PrincipleChange("delete", 1, "gone", None, ""),
    ],
)
def test_round_trips_through_json(change: PrincipleChange) -> None:
    assert PrincipleChange.from_dict(json.loads(json.dumps(change.to_dict()))) == change


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "move", "index": 0, "old_text": "a", "new_text": "b"},
        {"kind": "edit", "index": True, "old_text": "a", "new_text": "b"},
        {"kind": "edit", "index": "1", "old_text": "a", "new_text": "b"},
        {"kind": "edit", "index": -1, "old_text": "a", "new_text": "b"},
        {"kind": "edit", "index": 0, "old_text": None, "new_text": "b"},
        {"kind": "add", "index": 0, "old_text": "a", "new_text": "b"},
        {"kind": "delete", "index": 0, "old_text": "a", "new_text": "b"},
        {"kind": "add", "index": 0, "old_text": None, "new_text": 3},
    ],
)
def test_from_dict_refuses_malformed_changes(payload: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PrincipleChange.from_dict(payload)


def test_a_change_replays_on_a_list_that_moved_when_it_still_makes_sense() -> None:
    add = PrincipleChange("add", 1, None, "C")
    assert add.replayed_on(["A", "B", "X"]) == PrincipleChange("add", 3, None, "C")
    assert add.replayed_on(["A", "C"]) is None  # already there
    edit = PrincipleChange("edit", 1, "B", "B2")
    assert edit.replayed_on(["B"]) == PrincipleChange("edit", 0, "B", "B2")
    assert edit.replayed_on(["A", "B reworded"]) is None  # its principle changed
    assert edit.replayed_on(["B", "X", "B"]) is None  # moved, and twice over: which one?
    delete = PrincipleChange("delete", 0, "A", None)
    assert delete.replayed_on(["X", "A"]) == PrincipleChange("delete", 1, "A", None)
    assert delete.replayed_on(["X"]) is None
