"""Reading labels from answers, and scorecards checked against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from alignment._labeler.scoring import LabelSet, build_scorecard, score_value
from alignment._labeler.types import EMPTY_PREDICTION, PredictionResult


def predicted(*values: object) -> list[PredictionResult]:
    return [PredictionResult(request="", raw_prediction=str(v), prediction=v) for v in values]  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("labels", "answer", "expected"),
    [
        (["no", "not"], "no", "no"),
        (["no", "not"], "not", "not"),
        (["no", "not"], "Not.", "not"),
        (["no", "not"], "nothing", None),
        (["no", "not"], "no, it is fine", "no"),
        ([1, 10], "10", 10),
        ([1, 10], "1", 1),
        ([1, 10], "100", None),
        ([True, False], "True", True),
        ([True, False], "false", False),
        ([True, False], "**True**", True),
        ([True, False], "Truely", None),
        (["hate", "not hate"], "not hate", "not hate"),
        (["hate", "not hate"], "hate", "hate"),
        (["hate", "not hate"], '"not hate" because it is kind', "not hate"),
        (["0", "0.5"], "0.5", "0.5"),
        (["0", "0.5"], "0.", "0"),
        (["yes", "no"], "isHate: yes", "yes"),
        (["yes", "no"], "answer_no", "no"),
        (["yes", "no"], "", None),
        (["yes", "no"], "maybe", None),
    ],
)
def test_answers_are_read_exactly(labels: list[object], answer: str, expected: object) -> None:
    label_set = LabelSet(labels)
    position = label_set.parse_answer(answer, prefixes=("isHate",))
    if expected is None:
        assert position is None
    else:
        assert position is not None
        value = label_set.values[position]
        assert value == expected and type(value) is type(expected)


def test_numpy_labels_become_plain_values_that_match_the_frame() -> None:
    labels = LabelSet(np.array([True, False]))
    assert labels.values == (True, False)
    assert all(type(v) is bool for v in labels.values)
    assert labels.index_of(np.False_) == 1
    assert labels.index_of("true") == 0
    assert labels.index_of(EMPTY_PREDICTION) is None
    assert labels.index_of(float("nan")) is None


def test_labels_that_cannot_be_told_apart_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be told apart"):
        LabelSet(["Yes", "yes"])
    with pytest.raises(ValueError, match="at least two"):
        LabelSet(["only"])


def test_scorecard_matches_hand_computed_numbers() -> None:
    labels = LabelSet(["cat", "dog", "bird"])
    truth = ["cat", "cat", "dog", "dog", "dog", "bird"]
    card = build_scorecard(labels, truth, predicted("cat", "dog", "dog", "", "cat", "bird"))

    # Rows are true labels, columns predictions; the empty answer (a dog) is in no column.
    assert card["confusion_matrix"] == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert card["support"] == [2, 3, 1]
    assert card["n_empty"] == 1
    assert card["precision"] == pytest.approx([1 / 2, 1 / 2, 1.0])
    assert card["recall"] == pytest.approx([1 / 2, 1 / 3, 1.0])
    assert card["fscore"] == pytest.approx([0.5, 0.4, 1.0])
    assert card["accuracy"] == pytest.approx(0.5)

    assert score_value(card, "accuracy", labels) == pytest.approx(0.5)
    assert score_value(card, "f1", labels) == pytest.approx((0.5 + 0.4 + 1.0) / 3)
    assert score_value(card, "f1_binary", labels, pos_label="dog") == pytest.approx(0.4)
    assert score_value(card, "f1_binary", labels) == pytest.approx(0.5)  # first label


def test_f1_ignores_labels_absent_from_the_data() -> None:
    labels = LabelSet(["cat", "dog", "bird"])
    card = build_scorecard(labels, ["cat", "dog"], predicted("cat", "cat"))
    assert card["support"] == [1, 1, 0]
    assert card["fscore"] == pytest.approx([2 / 3, 0.0, 0.0])
    assert score_value(card, "f1", labels) == pytest.approx(1 / 3)


def test_scorecard_matches_labels_by_text_and_counts_unknown_truth_as_wrong() -> None:
    labels = LabelSet([True, False])
    card = build_scorecard(labels, [np.True_, "False", "unsure"], predicted(True, False, True))
    assert card["confusion_matrix"] == [[1, 0], [0, 1]]
    assert card["precision"] == pytest.approx([0.5, 1.0])
    assert card["accuracy"] == pytest.approx(2 / 3)


def test_scorecard_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 labelled rows but 1 predictions"):
        build_scorecard(LabelSet(["a", "b"]), ["a", "b"], predicted("a"))


def test_unknown_score_function_is_named() -> None:
    labels = LabelSet(["a", "b"])
    card = build_scorecard(labels, ["a"], predicted("a"))
    with pytest.raises(ValueError, match="unknown score_fn 'auc'"):
        score_value(card, "auc", labels)
