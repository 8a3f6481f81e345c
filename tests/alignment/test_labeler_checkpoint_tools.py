"""The seed's checkpoint helpers: look rules up, delete one, print a prediction."""

from __future__ import annotations

import pandas as pd
import pytest

from alignment import labeler


def three_rules() -> labeler.LabelerCheckpoint:
    checkpoint = labeler.LabelerCheckpoint()
    checkpoint.attributes.append({"id": "R1", "value": "Insults a group.", "label": True})
    checkpoint.attributes.append({"id": "R2", "value": "Polite remarks.", "label": False})
    checkpoint.attributes.append({"id": "R3", "value": "Threatens someone.", "label": True})
    return checkpoint


def test_delete_removes_the_rule_in_place_and_returns_the_checkpoint() -> None:
    checkpoint = three_rules()

    returned = labeler.delete_attribute_from_checkpoint(checkpoint, "R1")

    assert returned is checkpoint
    assert [rule["id"] for rule in checkpoint.attributes] == ["R2", "R3"]


def test_deleting_an_unknown_id_changes_nothing() -> None:
    checkpoint = three_rules()
    labeler.delete_attribute_from_checkpoint(checkpoint, "R9")
    assert [rule["id"] for rule in checkpoint.attributes] == ["R1", "R2", "R3"]


def test_rules_for_a_label_keep_checkpoint_order() -> None:
    checkpoint = three_rules()
    assert [r["id"] for r in labeler.get_attributes_for_label(checkpoint, True)] == ["R1", "R3"]
    # The seed stores labels as text: "True" finds the rules of the boolean label too.
    assert [r["id"] for r in labeler.get_attributes_for_label(checkpoint, "true")] == ["R1", "R3"]


def test_false_is_a_label_not_a_request_for_every_rule() -> None:
    checkpoint = three_rules()
    assert [r["id"] for r in labeler.get_attributes_for_label(checkpoint, False)] == ["R2"]


@pytest.mark.parametrize("label", [None, ""])
def test_no_label_lists_every_rule_as_a_new_list(label: str | None) -> None:
    checkpoint = three_rules()
    rules = labeler.get_attributes_for_label(checkpoint, label)
    assert [r["id"] for r in rules] == ["R1", "R2", "R3"]
    rules.clear()
    assert len(checkpoint.attributes) == 3


def test_attribute_for_id_finds_the_rule_or_none() -> None:
    checkpoint = three_rules()
    found = labeler.get_attribute_for_id(checkpoint, "R2")
    assert found == {"id": "R2", "value": "Polite remarks.", "label": False}
    assert labeler.get_attribute_for_id(checkpoint, "R7") is None


def prediction_pair(comment: str, with_label: bool) -> labeler.ExampleWithPrediction:
    row = {"comment": comment, "isHate": True} if with_label else {"comment": comment}
    result: labeler.PredictionResult = {
        "request": "Classify: " + comment,
        "raw_prediction": " True\n",
        "prediction": True,
    }
    return pd.Series(row), result


def test_print_prediction_shows_inputs_request_answer_and_label(
    capsys: pytest.CaptureFixture[str],
) -> None:
    labeler.print_prediction(prediction_pair("they are all awful", True), ["comment"], "isHate")

    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "=" * 20,
        "comment: they are all awful",
        "LLM request: Classify: they are all awful",
        "raw prediction:  True",
        "",
        "prediction: True",
        "label: True",
    ]


def test_print_prediction_shortens_long_inputs_and_skips_a_missing_label(
    capsys: pytest.CaptureFixture[str],
) -> None:
    comment = " ".join(f"w{i}" for i in range(10))
    labeler.print_prediction(prediction_pair(comment, False), ["comment"], "isHate", 4)

    out = capsys.readouterr().out
    assert "comment: w0 w1 [...] w8 w9\n" in out
    assert "label:" not in out
