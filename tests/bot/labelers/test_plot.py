"""The accuracy chart, read from the figure's data (lines, labels, ticks), not its pixels."""

from __future__ import annotations

from typing import Any

from alignment._labeler.types import LabelerCheckpoint, Scorecard, StepRecord
from bot.labelers.plot import PlotNotes, accuracy_figure, plot_notes
from bot.labelers.run_state import StepResult, TrainingRun


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


def test_a_brand_new_labeler_is_drawn_from_its_scored_step_zero() -> None:
    # Trained from scratch: step 1 wrote the first rules, so its record has no earlier score;
    # the run scored the empty starting rules as step 0 and charts it with the steps.
    checkpoint = LabelerCheckpoint(history=[record(1, 0.6, None, 40)])
    run = training_run(
        start=StepResult(step=0, version=0, validation_score=0.4, test_accuracy=0.35),
        history=[StepResult(step=1, version=1, validation_score=0.6, test_accuracy=0.55)],
    )
    notes = plot_notes(checkpoint, first_step=1)
    assert notes.start_score is None
    figure = accuracy_figure(run.charted_steps, "accuracy", notes)
    drawn = lines(figure)
    # One step from scratch is a line from before to after, for both curves.
    assert drawn["validation accuracy (40 rows)"] == ([0.0, 1.0], [0.4, 0.6])
    assert drawn["test accuracy"] == ([0.0, 1.0], [0.35, 0.55])
    axes = figure.axes[0]
    assert axes.get_xlim() == (0.0, 1.0)
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= axes.get_xlim()[1]]
    assert ticks == [0.0, 1.0]
    # A start score from an earlier checkpoint is not drawn a second time at step -1.
    again = lines(accuracy_figure(run.charted_steps, "accuracy", PlotNotes(start_score=0.5)))
    assert again["validation accuracy"] == ([0.0, 1.0], [0.4, 0.6])


def test_a_run_without_a_step_zero_draws_only_its_steps() -> None:
    # A run saved before step 0 was scored: nothing is made up for it.
    run = training_run(history=[StepResult(step=1, version=1, validation_score=0.6)])
    assert run.charted_steps == run.history
    drawn = lines(accuracy_figure(run.charted_steps, "accuracy", PlotNotes()))
    assert drawn == {"validation accuracy": ([1.0], [0.6])}


def training_run(**fields: Any) -> TrainingRun:
    run = TrainingRun(
        run_id="r1",
        labeler="hate",
        team_id="T1",
        enterprise_id=None,
        dataset_id="d1",
        steps_total=1,
        seed=1,
        test_fraction=0.2,
        channel="C1",
        thread_ts="1.0",
        message_ts="1.0",
        user="U1",
        split_text="",
        started_at=0.0,
        settings={},
        **fields,
    )
    # Stored and read back, as the job and the chart see it.
    return TrainingRun.from_json(run.to_json())
