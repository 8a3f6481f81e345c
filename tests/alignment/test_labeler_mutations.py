"""Rule changes: the options offered, reading the model's choice, and applying a change."""

from __future__ import annotations

import pytest

from alignment._labeler.mutations import (
    MutationOption,
    apply_mutation,
    clean_rule_text,
    mutation_options,
    parse_choice,
)
from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint


def checkpoint() -> LabelerCheckpoint:
    return LabelerCheckpoint(
        attributes=[
            LabelerAttribute(id="R1", value="Insults a group.", label=True),
            LabelerAttribute(id="R2", value="Uses slurs.", label=True),
            LabelerAttribute(id="R3", value="Is polite.", label=False),
        ],
        next_rule_number=4,
    )


def test_options_offer_add_per_label_edit_per_rule_and_delete_only_when_a_rule_remains() -> None:
    options = mutation_options(checkpoint(), [True, False])
    described = [(o.number, o.action, o.label, o.rule_id) for o in options]
    assert described == [
        (1, "ADD", True, None),
        (2, "EDIT", True, "R1"),
        (3, "DELETE", True, "R1"),
        (4, "EDIT", True, "R2"),
        (5, "DELETE", True, "R2"),
        (6, "ADD", False, None),
        (7, "EDIT", False, "R3"),
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("3", 3), (" 3.", 3), ("Option 10", 10), ("10", 10), ("1", 1), ("R2", None), ("", None)],
)
def test_choice_is_the_first_whole_number_offered(answer: str, expected: int | None) -> None:
    options = [MutationOption(n, "ADD", "x") for n in (1, 3, 10)]
    chosen = parse_choice(answer, options)
    assert (chosen.number if chosen else None) == expected


def test_a_number_not_offered_is_not_a_choice() -> None:
    # Option 1 was taken earlier in the step, so "1" must not fall back to anything.
    options = [MutationOption(n, "ADD", "x") for n in (2, 3)]
    assert parse_choice("1", options) is None
    assert parse_choice("7", options) is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Mentions money.", "Mentions money."),
        ("R4: Mentions money.", "Mentions money."),
        ("Rule R4 - Mentions money.", "Mentions money."),
        ("[R4] Mentions money.", "Mentions money."),
        ('"Mentions money."\nBecause...', "Mentions money."),
        ("\n\n  ", ""),
    ],
)
def test_rule_text_is_the_first_line_without_an_echoed_id(answer: str, expected: str) -> None:
    assert clean_rule_text(answer, "R4") == expected


def test_added_rule_takes_the_next_unused_id_and_leaves_the_original_alone() -> None:
    original = checkpoint()
    before = original.to_dict()
    evolved, change = apply_mutation(original, MutationOption(6, "ADD", False), "Thanks someone.")
    assert evolved.rule("R4") == LabelerAttribute(id="R4", value="Thanks someone.", label=False)
    assert evolved.next_rule_number == 5
    assert change == 'added R4 for "False": Thanks someone.'
    assert original.to_dict() == before


def test_edit_and_delete_change_only_their_rule() -> None:
    edited, change = apply_mutation(checkpoint(), MutationOption(2, "EDIT", True, "R1"), "New.")
    assert [r["value"] for r in edited.attributes] == ["New.", "Uses slurs.", "Is polite."]
    assert change == 'rewrote R1 of "True": Insults a group. -> New.'
    deleted, change = apply_mutation(checkpoint(), MutationOption(5, "DELETE", True, "R2"), None)
    assert [r["id"] for r in deleted.attributes] == ["R1", "R3"]
    assert change.startswith('deleted R2 of "True"')


def test_checkpoint_json_round_trip_keeps_label_types() -> None:
    original = checkpoint()
    original.validation_rows = [3, 1]
    original.validation_source_size = 10
    restored = LabelerCheckpoint.from_dict(original.to_dict())
    assert restored == original
    assert [type(rule["label"]) for rule in restored.attributes] == [bool, bool, bool]


def test_checkpoint_from_dict_rejects_what_is_not_a_checkpoint() -> None:
    with pytest.raises(ValueError, match="not a labeler checkpoint"):
        LabelerCheckpoint.from_dict({"rules": []})
    with pytest.raises(ValueError, match="needs 'id', 'value' and 'label'"):
        LabelerCheckpoint.from_dict({"attributes": [{"id": "R1"}]})
    # A checkpoint written with other ids still gets fresh, unused ids for new rules.
    old = LabelerCheckpoint.from_dict({"attributes": [{"id": "R7", "value": "x", "label": 1}]})
    assert old.next_rule_number == 8
