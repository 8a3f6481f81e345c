"""Looking for mistakes in training rows: how many rows a step classifies to find them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from alignment._labeler.mistake_mining import read_ahead_size
from alignment.labeler import Labeler
from tests.alignment.labeler_world import (
    RuleWorld,
    example_text,
    hate_frame,
    requests_of_kind,
    truth_of,
)
from tests.fakes.models import ScriptedModel

TASK = "Is the comment hateful?"
N_INCORRECT = 3


def make_labeler(model: ScriptedModel, **options: Any) -> Labeler:
    settings: dict[str, Any] = {
        "hparams": {"n_validation_examples": 20, "n_incorrect_predictions_to_sample": N_INCORRECT},
        "seed": 5,
        "max_concurrency": 32,
    }
    settings.update(options)
    return Labeler(["comment"], "isHate", [True, False], TASK, model, model, **settings)


def training_rows_classified(model: ScriptedModel, train: pd.DataFrame) -> list[str]:
    training_texts = set(train["comment"])
    return [
        text
        for request in requests_of_kind(model, "classify")
        if (text := example_text(request.prompt)) in training_texts
    ]


def test_read_ahead_starts_at_twice_the_mistakes_wanted_and_follows_the_error_rate() -> None:
    # Before any row is read the error rate is taken as one half.
    assert read_ahead_size(3, read=0, wrong=0, limit=32) == 6
    assert read_ahead_size(1, read=0, wrong=0, limit=32) == 2
    # Rows read right make the next batch larger; rows read wrong make it smaller.
    assert read_ahead_size(3, read=6, wrong=0, limit=32) > read_ahead_size(3, 0, 0, 32)
    assert read_ahead_size(3, read=6, wrong=5, limit=32) < read_ahead_size(3, 0, 0, 32)
    # Never more than the call slots, never nothing while a mistake is still wanted.
    assert read_ahead_size(3, read=500, wrong=0, limit=32) == 32
    assert read_ahead_size(1, read=10, wrong=10, limit=1) == 1
    assert read_ahead_size(0, read=4, wrong=3, limit=32) == 0


def test_when_every_row_is_wrong_one_small_batch_is_classified() -> None:
    start_frame = hate_frame(30)
    train = hate_frame(60, hateful_every=1, offset=200)
    test_frame = hate_frame(9, offset=500)
    # Hateful comments are labelled "False" until a rule names them: every training row is wrong.
    world = RuleWorld(truth=truth_of(start_frame, train, test_frame), fallback="False")
    model = world.model()
    maker = make_labeler(model)
    start = maker.initialize_checkpoint(start_frame)
    model.requests.clear()
    result = maker.train_step(start, train, test_frame)

    looked_at = training_rows_classified(model, train)
    # The first batch, sized for an error rate of one half, already holds every mistake wanted;
    # a window of max_concurrency rows would have classified 32.
    assert len(looked_at) == 2 * N_INCORRECT
    assert len(set(looked_at)) == len(looked_at)
    assert result.history[-1]["wrong_examples_used"] == N_INCORRECT


def test_a_classifier_that_is_never_wrong_costs_a_bounded_number_of_rows() -> None:
    class NeverWrong(RuleWorld):
        def classify(self, prompt: str, text: str, token: str | None) -> str:
            return self.truth[text]

    train = hate_frame(200)
    test_frame = hate_frame(9, offset=500)
    world = NeverWrong(truth=truth_of(train, test_frame), fallback="False")
    model = world.model()
    maker = make_labeler(model)
    start = maker.initialize_checkpoint(train)
    model.requests.clear()
    result = maker.train_step(start, train, test_frame)

    assert len(training_rows_classified(model, train)) == 20  # n_validation_examples, not 200
    assert result.history[-1]["wrong_examples_used"] == 0
    assert result.attributes == start.attributes


def test_rows_classified_depend_on_the_answers_not_on_their_timing() -> None:
    train = hate_frame(120, offset=200)
    test_frame = hate_frame(9, offset=500)
    runs = []
    for latency in (0.0, 0.002):
        # A third of the training rows are wrong; latency reorders which answers come back first.
        world = RuleWorld(truth=truth_of(train, test_frame), fallback="False", latency=latency)
        model = world.model()
        maker = make_labeler(model, hparams={"n_validation_examples": 100})
        start = maker.initialize_checkpoint(train)
        model.requests.clear()
        result = maker.train_step(start, train, test_frame)
        runs.append((training_rows_classified(model, train), result))

    (fast_rows, fast_result), (slow_rows, slow_result) = runs
    assert sorted(fast_rows) == sorted(slow_rows)
    assert fast_result.to_dict() == slow_result.to_dict()
    assert fast_result.history[-1]["wrong_examples_used"] == N_INCORRECT
    # More rows than mistakes wanted, far fewer than the 32 call slots.
    assert N_INCORRECT < len(fast_rows) < 32
