"""The number of experts in step one of the `/align train` form: offered (filled in from the
command), read, checked, and carried to step two where the training starts."""

from __future__ import annotations

from typing import Any

import pytest

from alignment.labeler import LabelerCheckpoint
from bot.labelers import forms
from bot.labelers.store import CheckpointVersion, NotificationSettings
from bot.labelers.views import labeler_details


def experts_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == forms.EXPERTS_BLOCK)


def submitted(experts: Any) -> forms.UploadForm:
    values = {
        forms.FILE_BLOCK: {forms.FILE_ACTION: {"files": [{"id": "F1"}]}},
        forms.TASK_BLOCK: {forms.TASK_ACTION: {"value": "Is it hateful?"}},
        forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "3"}},
        forms.EXPERTS_BLOCK: {forms.EXPERTS_ACTION: {"value": experts}},
    }
    return forms.read_upload_form({"state": {"values": values}})


def test_the_field_starts_at_one_or_at_the_number_typed_with_the_command() -> None:
    plain = experts_block(forms.upload_form("hate", "{}"))
    assert plain["element"]["initial_value"] == "1"
    assert plain["element"]["max_value"] == "8"
    typed = forms.upload_form("hate", "{}", forms.FormPrefill(experts=3))
    assert experts_block(typed)["element"]["initial_value"] == "3"


def test_a_number_in_range_is_carried_to_step_two() -> None:
    form = submitted("2")
    assert form.experts == 2 and forms.upload_form_errors(form, {}) == {}
    assert forms.carried_to_step_two({"name": "hate"}, form, "F1")["experts"] == 2


@pytest.mark.parametrize("typed", ["0", "9", "2.5"])
def test_anything_else_keeps_the_form_open_with_a_reason(typed: str) -> None:
    errors = forms.upload_form_errors(submitted(typed), {})
    assert errors == {forms.EXPERTS_BLOCK: "A whole number from 1 to 8."}


def test_a_form_without_the_field_means_one_rule_set() -> None:
    values = {forms.STEPS_BLOCK: {forms.STEPS_ACTION: {"value": "3"}}}
    assert forms.read_upload_form({"state": {"values": values}}).experts == 1


def test_show_says_a_labeler_is_a_mixture_of_experts() -> None:
    settings = {"input_names": ["comment"], "label_name": "isHate", "label_values": [False, True]}
    mixture = CheckpointVersion(1, LabelerCheckpoint(), {**settings, "n_experts": 3}, None, 1, "")
    shown = labeler_details("hate", mixture, 1, None, False, NotificationSettings())
    assert "a mixture of 3 experts" in shown.blocks[0]["text"]["text"]
    single = CheckpointVersion(1, LabelerCheckpoint(), {**settings, "n_experts": 1}, None, 1, "")
    shown = labeler_details("hate", single, 1, None, False, NotificationSettings())
    assert "experts" not in shown.blocks[0]["text"]["text"]
