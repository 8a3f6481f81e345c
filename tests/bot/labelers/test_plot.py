"""The accuracy chart, read from the figure's data (lines, labels, ticks), not its pixels."""

from __future__ import annotations

from typing import Any

from alignment._labeler.types import LabelerCheckpoint, Scorecard, StepRecord
from bot.labelers.plot import PlotNotes, accuracy_figure, plot_notes
from bot.labelers.run_state import StepResult


def lines(figure: Any) -> dict[str, tuple[list[float], list[float]]]:
    return {
        str(line.get_label()): (
            [float(x) for x in line.get_xdata()],
            [float(y) for y in line.get_ydata()],
        )
        for line in figure.axes[0].get_lines()
    }


def record(step: int, score: float, previous: float | None, validation: int) -> StepRecord:
    return StepRecord(
        step=step,
        score=score,
        previous_score=previous,
        score_fn="accuracy",
        candidates_scored=3,
        model_calls=9,
        cache_hits=0,
        wrong_examples_used=2,
        change=None,
        n_empty=0,
        validation_size=validation,
    )


def test_one_step_is_a_line_from_before_to_after_on_whole_steps() -> None:
    steps = [StepResult(step=1, version=2, validation_score=0.7, test_accuracy=0.65)]
    figure = accuracy_figure(steps, "accuracy", PlotNotes(start_score=0.5))
    validation = lines(figure)["validation accuracy"]
    assert validation == ([0.0, 1.0], [0.5, 0.7])
    axes = figure.axes[0]
    assert axes.get_xlim()[0] == 0
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= axes.get_xlim()[1]]
    assert ticks == [0.0, 1.0]  # whole steps, no 0.25 or 0.5


def test_many_steps_keep_integer_ticks_from_zero() -> None:
    steps = [StepResult(step=n, version=n, validation_score=0.5 + n / 40) for n in range(1, 8)]
    axes = accuracy_figure(steps, "f1", PlotNotes()).axes[0]
    assert axes.get_xlim() == (0.0, 7.0)
    assert all(float(tick).is_integer() for tick in axes.get_xticks())


def test_curves_name_their_sizes_and_the_target_is_a_line() -> None:
    steps = [
        StepResult(step=1, version=1, validation_score=0.6, test_accuracy=0.55),
        StepResult(step=2, version=2, validation_score=0.8, test_accuracy=0.75),
    ]
    notes = PlotNotes(validation_rows=40, test_rows=1, target=0.9)
    drawn = lines(accuracy_figure(steps, "accuracy", notes))
    assert drawn["validation accuracy (40 rows)"][1] == [0.6, 0.8]
    assert drawn["test accuracy (1 row)"] == ([1.0, 2.0], [0.55, 0.75])
    target_y = drawn["target 90.0%"][1]
    assert target_y == [0.9, 0.9]


def test_without_notes_nothing_is_invented() -> None:
    steps = [StepResult(step=1, version=1, validation_score=0.6)]
    drawn = lines(accuracy_figure(steps, "accuracy", PlotNotes()))
    assert drawn == {"validation accuracy": ([1.0], [0.6])}


def test_notes_come_from_the_checkpoint_and_the_scorecard() -> None:
    checkpoint = LabelerCheckpoint(
        history=[record(3, 0.6, 0.4, 30), record(4, 0.7, 0.6, 40), record(5, 0.8, 0.7, 40)]
    )
    scorecard: Scorecard = {
        "precision": [1.0],
        "recall": [1.0],
        "fscore": [1.0],
        "support": [12, 5],
        "n_empty": 0,
        "accuracy": 0.8,
        "confusion_matrix": [[12, 0], [0, 5]],
    }
    notes = plot_notes(checkpoint, first_step=4, scorecard=scorecard, target=0.85)
    assert notes == PlotNotes(start_score=0.6, validation_rows=40, test_rows=17, target=0.85)
    # A fresh run's first step wrote the first rules: there is no score from before it.
    assert plot_notes(checkpoint, first_step=1).start_score is None


def test_a_brand_new_labeler_is_drawn_on_whole_steps_from_zero_with_nothing_invented() -> None:
    # Trained from scratch: step 1 wrote the first rules, so its record has no earlier score.
    checkpoint = LabelerCheckpoint(history=[record(1, 0.6, None, 40), record(2, 0.75, 0.6, 40)])
    steps = [
        StepResult(step=1, version=1, validation_score=0.6, test_accuracy=0.55),
        StepResult(step=2, version=2, validation_score=0.75, test_accuracy=0.7),
    ]
    notes = plot_notes(checkpoint, first_step=1)
    assert notes.start_score is None
    figure = accuracy_figure(steps, "accuracy", notes)
    drawn = lines(figure)
    # The first rules are the first point, at step 1; no score is made up for step 0.
    assert drawn["validation accuracy (40 rows)"] == ([1.0, 2.0], [0.6, 0.75])
    assert drawn["test accuracy"] == ([1.0, 2.0], [0.55, 0.7])
    axes = figure.axes[0]
    assert axes.get_xlim() == (0.0, 2.0)
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= axes.get_xlim()[1]]
    assert ticks == [0.0, 1.0, 2.0]
    # One step from scratch: the first rules alone, still on whole steps.
    lone = accuracy_figure(steps[:1], "accuracy", plot_notes(checkpoint, first_step=1)).axes[0]
    assert [t for t in lone.get_xticks() if 0 <= t <= lone.get_xlim()[1]] == [0.0, 1.0]
