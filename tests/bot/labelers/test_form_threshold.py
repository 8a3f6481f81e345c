"""The score threshold in step two of the `/align train` form (offered, read and checked), and
in `/align show` for a labeler trained from scores."""

from __future__ import annotations

from typing import Any

import pytest

from alignment.labeler import LabelerCheckpoint
from bot.labelers import forms
from bot.labelers.store import CheckpointVersion, NotificationSettings
from bot.labelers.views import labeler_details


def submitted(threshold: Any) -> forms.ColumnsForm:
    values = {
        forms.LABEL_BLOCK: {forms.LABEL_ACTION: {"selected_option": {"value": "isHate"}}},
        forms.INPUTS_BLOCK: {forms.INPUTS_ACTION: {"selected_options": [{"value": "comment"}]}},
        forms.THRESHOLD_BLOCK: {forms.THRESHOLD_ACTION: {"value": threshold}},
    }
    return forms.read_columns_form({"state": {"values": values}})


def threshold_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == forms.THRESHOLD_BLOCK)


def test_the_field_is_optional_and_filled_in_with_a_typed_threshold() -> None:
    empty = threshold_block(forms.columns_form("hate", "f.csv", ["comment", "isHate"], "{}"))
    assert empty["optional"] is True and "initial_value" not in empty["element"]
    given = forms.columns_form("hate", "f.csv", ["comment", "isHate"], "{}", threshold=0.25)
    assert threshold_block(given)["element"]["initial_value"] == "0.25"


@pytest.mark.parametrize(("typed", "value"), [(" 0.5 ", 0.5), ("0,75", 0.75), ("", None)])
def test_a_number_or_nothing_is_accepted(typed: str, value: float | None) -> None:
    form = submitted(typed)
    assert form.threshold == value
    assert forms.columns_form_errors(form) == {}


@pytest.mark.parametrize("typed", ["half", "nan", "1e999"])
def test_anything_else_keeps_the_form_open_with_a_reason(typed: str) -> None:
    errors = forms.columns_form_errors(submitted(typed))
    assert set(errors) == {forms.THRESHOLD_BLOCK}
    assert f"'{typed}' is not a number" in errors[forms.THRESHOLD_BLOCK]


def test_show_says_a_labeler_learned_from_scores() -> None:
    settings = {"input_names": ["comment"], "label_name": "isHate", "label_values": [False, True]}
    current = CheckpointVersion(
        1, LabelerCheckpoint(), {**settings, "score_threshold": 0.5}, None, 1, ""
    )
    shown = labeler_details("hate", current, 1, None, False, NotificationSettings())
    assert "(from scores: True where ≥ 0.5)" in shown.blocks[0]["text"]["text"]
    plain = CheckpointVersion(1, LabelerCheckpoint(), settings, None, 1, "")
    assert (
        "from scores"
        not in labeler_details("hate", plain, 1, None, False, NotificationSettings()).blocks[0][
            "text"
        ]["text"]
    )
