"""A labeler trained from scores keeps its threshold in its settings, checked when it is made."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from alignment.labeler import Labeler
from tests.fakes.models import ScriptedModel

TASK = "Is the comment hateful?"


def make(values: list[Any], **options: Any) -> Labeler:
    model = ScriptedModel(responder=lambda request: "True")
    return Labeler(["comment"], "isHate", values, TASK, model, model, seed=1, **options)


def test_the_threshold_survives_a_json_round_trip_of_the_settings() -> None:
    first = make([False, True], score_threshold=0.5)
    settings = json.loads(json.dumps(first.settings_dict()))
    assert settings["score_threshold"] == 0.5
    model = ScriptedModel(responder=lambda request: "True")
    again = Labeler.from_settings(settings, model, model)
    assert again.score_threshold == 0.5
    assert again.settings_dict() == first.settings_dict()


def test_settings_saved_before_thresholds_existed_still_load() -> None:
    settings = make([False, True]).settings_dict()
    del settings["score_threshold"]
    model = ScriptedModel(responder=lambda request: "True")
    assert Labeler.from_settings(settings, model, model).score_threshold is None


@pytest.mark.parametrize(
    ("threshold", "message"),
    [("0.5", "must be a number"), (True, "must be a number"), (math.nan, "finite")],
)
def test_a_threshold_that_is_not_a_number_is_refused(threshold: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make([False, True], score_threshold=threshold)


def test_a_threshold_needs_true_false_labels() -> None:
    with pytest.raises(ValueError, match="True/False labels"):
        make(["spam", "ham"], score_threshold=0.5)
