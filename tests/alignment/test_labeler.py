"""The labeler's training logic, against a pretend model that reads the labeler's prompts."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pandas as pd
import pytest

from alignment import labeler
from alignment._labeler.types import LabelerAttribute
from alignment.errors import ModelError
from alignment.labeler import (
    DEFAULT_HPARAMS,
    InMemoryResponseCache,
    Labeler,
    LabelerCheckpoint,
    LabelerModelError,
    ProgressEvent,
    TrainingCancelled,
)
from tests.alignment.labeler_world import (
    RuleWorld,
    example_text,
    hate_frame,
    options_of,
    prompt_kind,
    requests_of_kind,
    token_of,
    truth_of,
)
from tests.fakes.models import Request, ScriptedModel

TASK = "Is the comment hateful?"


def make_labeler(model: ScriptedModel, **options: Any) -> Labeler:
    settings: dict[str, Any] = {"hparams": {"n_validation_examples": 20}, "seed": 5}
    settings.update(options)
    return Labeler(["comment"], "isHate", [True, False], TASK, model, model, **settings)


@pytest.fixture
def frame() -> pd.DataFrame:
    return hate_frame(30)


@pytest.fixture
def world(frame: pd.DataFrame) -> RuleWorld:
    # Until a rule names them, hateful comments are labelled "False": a third are wrong.
    return RuleWorld(truth=truth_of(frame), fallback="False")


def test_seed_readme_example_runs_with_only_the_models_changed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    train_df, test_df = hate_frame(30), hate_frame(12, offset=30)
    world = RuleWorld(truth=truth_of(train_df, test_df), fallback="False")
    model = world.model()
    num_train_steps = 2

    labeler_maker = labeler.Labeler(
        input_names=["comment"],
        label_name="isHate",
        label_values=[True, False],
        task_description="Does the example contain offensive text?",
        train_model_helper=model,
        eval_model_helper=model,
    )
    toxicity_labeler = labeler_maker.initialize_checkpoint(train_df)
    for _ in range(num_train_steps):
        toxicity_labeler = labeler_maker.train_step(toxicity_labeler, train_df)
        predictions = labeler_maker.infer_checkpoint(toxicity_labeler, test_df)
        scorecard = labeler_maker.get_scorecard(test_df, predictions)
        print(f"Accuracy: {scorecard['accuracy']}")
    labeler.print_checkpoint(toxicity_labeler)

    inputs = ["comment"]
    new_examples = pd.DataFrame({"comment": ["I hate all people", "I love my sister"]})
    predictions = labeler_maker.infer_checkpoint(toxicity_labeler, new_examples)
    for index, item in enumerate(zip(new_examples.iterrows(), predictions, strict=True)):
        _, example = item[0]
        print(f"Example {index}")
        features = example[inputs].to_dict()
        for feature in inputs:
            print(f"{feature}: {features[feature]}")
        print("Prediction:", item[1]["prediction"])

    printed = capsys.readouterr().out
    assert len(re.findall(r"^Accuracy: [\d.]+$", printed, re.MULTILINE)) == num_train_steps
    assert "Rules for: True" in printed and "Rules for: False" in printed
    assert "comment: I love my sister\nPrediction: False" in printed
    assert [p["prediction"] for p in predictions] == [False, False]
    assert toxicity_labeler.steps_done == num_train_steps
    assert set(DEFAULT_HPARAMS) >= {
        "n_incorrect_predictions_to_sample",
        "n_mutations_to_try",
        "n_best",
        "score_fn",
        "n_validation_examples",
        "truncation_length",
    }


def test_each_step_learns_a_rule_that_fixes_a_mistake(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    maker = make_labeler(model)
    start = maker.initialize_checkpoint(frame)
    assert [(r["id"], r["label"]) for r in start.attributes] == [("R1", True), ("R2", False)]

    first = maker.train_step(start, frame)
    second = maker.train_step(first, frame)

    for step, checkpoint in ((1, first), (2, second)):
        record = checkpoint.history[-1]
        assert record["step"] == step
        assert record["score"] > record["previous_score"]  # type: ignore[operator]
        assert record["change"] is not None and record["change"].startswith("added R")
        assert record["wrong_examples_used"] == 3
        assert record["candidates_scored"] > 0
        assert record["validation_size"] == 20
    assert second.history[0] == first.history[0]
    assert len(second.rules_for(True)) == 3
    # The added rules name mistakes that were on the validation rows, so they fix them there.
    validation = [frame["comment"][row] for row in second.validation_rows or []]
    for rule in second.rules_for(True)[1:]:
        token = token_of(rule["value"])
        assert any(token_of(text) == token for text in validation)


def test_step_keeps_the_current_checkpoint_when_no_candidate_beats_it(frame: pd.DataFrame) -> None:
    class HarmfulRules(RuleWorld):
        def classify(self, prompt: str, text: str, token: str | None) -> str:
            # Any new rule makes this classifier call everything hateful.
            return "True" if "Harmful" in prompt else super().classify(prompt, text, token)

    world = HarmfulRules(
        truth=truth_of(frame), fallback="False", write_rule=lambda prompt: "Harmful rule."
    )
    maker = make_labeler(world.model())
    start = maker.initialize_checkpoint(frame)
    result = maker.train_step(start, frame)

    record = result.history[-1]
    assert result.attributes == start.attributes
    assert record["change"] is None
    assert record["score"] == record["previous_score"]
    assert record["candidates_scored"] > 0  # candidates were scored, and all were worse
    ranked = maker.get_best_mutations(start, frame, n_best=10)
    assert ranked[0][0].attributes == start.attributes
    assert all(score < ranked[0][1] for _, score in ranked[1:])


@pytest.mark.parametrize("n_mutations", [1, 3])
def test_step_tries_n_mutations_per_mistake(
    world: RuleWorld, frame: pd.DataFrame, n_mutations: int
) -> None:
    model = world.model()
    maker = make_labeler(
        model,
        hparams={"n_validation_examples": 20, "n_mutations_to_try": n_mutations},
    )
    start = maker.initialize_checkpoint(frame)
    model.requests.clear()
    maker.train_step(start, frame)

    choices = requests_of_kind(model, "choose")
    assert len(choices) == 3 * n_mutations
    # Every later choice of a mistake offers only what was not chosen before.
    by_example: dict[str, list[dict[int, str]]] = {}
    for request in choices:
        by_example.setdefault(example_text(request.prompt), []).append(options_of(request.prompt))
    for offered in by_example.values():
        assert [len(options) for options in offered] == [4 - i for i in range(n_mutations)]


def test_validation_rows_are_drawn_once_per_run_and_kept_in_the_checkpoint(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    maker = make_labeler(model)
    start = maker.initialize_checkpoint(frame)
    assert start.validation_rows is not None and len(start.validation_rows) == 20
    assert start.validation_source_size == 30

    def classified_rows() -> set[str]:
        return {example_text(r.prompt) for r in requests_of_kind(model, "classify")}

    model.requests.clear()
    first = maker.train_step(start, frame)
    rows_in_step_1 = classified_rows()
    model.requests.clear()
    second = maker.train_step(first, frame)
    rows_in_step_2 = classified_rows()

    expected = {frame["comment"][row] for row in start.validation_rows}
    assert rows_in_step_1 == expected
    assert rows_in_step_2 == expected
    assert first.validation_rows == second.validation_rows == start.validation_rows

    other_seed = make_labeler(world.model(), seed=6).initialize_checkpoint(frame)
    assert other_seed.validation_rows != start.validation_rows


def test_same_seed_and_same_answers_give_the_same_checkpoint(frame: pd.DataFrame) -> None:
    def run(concurrency: int) -> dict[str, Any]:
        world = RuleWorld(truth=truth_of(frame), fallback="False", latency=0.001)
        maker = make_labeler(world.model(), max_concurrency=concurrency)
        checkpoint = maker.initialize_checkpoint(frame)
        for _ in range(2):
            checkpoint = maker.train_step(checkpoint, frame)
        return checkpoint.to_dict()

    assert run(8) == run(8) == run(1)


def test_rule_ids_are_unique_and_are_the_ids_the_model_was_shown(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    maker = make_labeler(model)
    checkpoint = maker.initialize_checkpoint(frame)
    for _ in range(3):
        model.requests.clear()
        known = {rule["id"] for rule in checkpoint.attributes}
        checkpoint = maker.train_step(checkpoint, frame)
        (added,) = [rule for rule in checkpoint.attributes if rule["id"] not in known]
        shown = {
            request.prompt.rstrip().splitlines()[-1]
            for request in requests_of_kind(model, "rule")
            if "Write a new rule" in request.prompt
            and world.answer(request.prompt) == added["value"]
        }
        assert shown == {f"{added['id']}:"}

    ids = [rule["id"] for rule in checkpoint.attributes]
    assert len(ids) == len(set(ids)) == 5


def two_rules_per_label() -> LabelerCheckpoint:
    return LabelerCheckpoint(
        attributes=[
            LabelerAttribute(id="R1", value="Starting rule.", label=True),
            LabelerAttribute(id="R2", value="Second rule.", label=True),
            LabelerAttribute(id="R3", value="Starting rule.", label=False),
            LabelerAttribute(id="R4", value="Other rule.", label=False),
        ],
        next_rule_number=5,
    )


def test_the_same_change_is_scored_once_per_step(world: RuleWorld, frame: pd.DataFrame) -> None:
    def prefer_deleting_r2(prompt: str) -> str:
        for number, text in options_of(prompt).items():
            if text == 'Delete rule R2 of "True"':
                return str(number)
        return "1"  # then add a rule for "True", different for every mistake

    world.choose = prefer_deleting_r2
    model = world.model()
    maker = make_labeler(model)
    result = maker.train_step(two_rules_per_label(), frame)

    # Three mistakes each chose "delete R2" and then "add a rule": 1 + 3 distinct candidates.
    assert maker.stats.duplicate_mutations == 2
    assert result.history[-1]["candidates_scored"] == 4
    rulebooks = {
        frozenset(re.findall(r'^- ".*$', request.prompt, re.MULTILINE))
        for request in requests_of_kind(model, "classify")
    }
    assert len(rulebooks) == 1 + 4


def test_an_unreadable_choice_is_asked_again_then_skipped_and_counted(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    world.choose = lambda prompt: "I would rather not say"
    model = world.model()
    maker = make_labeler(model)
    start = maker.initialize_checkpoint(frame)
    result = maker.train_step(start, frame)

    choices = requests_of_kind(model, "choose")
    assert len(choices) == 3 * 2  # each mistake: the question, and once more
    asked_again = [r for r in choices if "was not one of these numbers" in r.prompt]
    assert len(asked_again) == 3
    assert '"I would rather not say"' in asked_again[0].prompt
    assert maker.stats.unparseable_choices == 3
    # Nothing was taken as option 1: no rule was written, no candidate scored.
    assert requests_of_kind(model, "rule") == []
    assert result.history[-1]["candidates_scored"] == 0
    assert result.attributes == start.attributes


def test_a_choice_readable_on_the_second_ask_is_used(world: RuleWorld, frame: pd.DataFrame) -> None:
    def vague_then_clear(prompt: str) -> str:
        return "1" if "was not one of these numbers" in prompt else "the first one"

    world.choose = vague_then_clear
    maker = make_labeler(
        world.model(), hparams={"n_validation_examples": 20, "n_mutations_to_try": 1}
    )
    result = maker.train_step(maker.initialize_checkpoint(frame), frame)
    assert maker.stats.unparseable_choices == 0
    assert result.history[-1]["candidates_scored"] == 3


@pytest.mark.parametrize(
    ("failing_kind", "named"),
    [
        ("feedback", "asking the training model why it mislabelled row"),
        ("classify-candidate", "scoring a candidate on validation row"),
        ("classify-current", "classifying validation row"),
    ],
)
def test_a_failing_call_fails_the_step_with_a_clear_error_and_changes_nothing(
    world: RuleWorld, frame: pd.DataFrame, failing_kind: str, named: str
) -> None:
    maker = make_labeler(world.model(), max_concurrency=4)
    start = maker.initialize_checkpoint(frame)
    before = json.dumps(start.to_dict())
    threads_before = threading.active_count()

    def fails(request: Request) -> bool:
        kind = prompt_kind(request.prompt)
        if failing_kind == "feedback":
            return kind == "feedback"
        is_candidate = "Mentions" in request.prompt
        return kind == "classify" and is_candidate == (failing_kind == "classify-candidate")

    world.fail_when = fails
    with pytest.raises(LabelerModelError) as raised:
        maker.train_step(start, frame)
    message = str(raised.value)
    assert named in message
    assert "RuntimeError: the service is down" in message
    assert isinstance(raised.value, ModelError)
    assert json.dumps(start.to_dict()) == before
    assert threading.active_count() == threads_before  # no worker left behind


def test_calls_overlap_and_results_keep_input_order(frame: pd.DataFrame) -> None:
    world = RuleWorld(truth=truth_of(frame), fallback="False", latency=0.01)
    maker = make_labeler(world.model(), max_concurrency=6)
    checkpoint = maker.train_step(maker.initialize_checkpoint(frame), frame)
    predictions = maker.infer_checkpoint(checkpoint, frame)

    assert 1 < world.peak_in_flight <= 6
    assert 1 < maker.stats.peak_in_flight <= 6
    assert [example_text(p["request"]) for p in predictions] == list(frame["comment"])
    expected = [
        world.classify(p["request"], t, token_of(t))
        for p, t in zip(predictions, frame["comment"], strict=True)
    ]
    assert [str(p["prediction"]) for p in predictions] == expected


def test_training_resumes_in_a_new_labeler_with_the_same_result(frame: pd.DataFrame) -> None:
    def fresh_model() -> ScriptedModel:
        return RuleWorld(truth=truth_of(frame), fallback="False").model()

    straight = make_labeler(fresh_model(), seed=11)
    checkpoint = straight.initialize_checkpoint(frame)
    for _ in range(3):
        checkpoint = straight.train_step(checkpoint, frame)

    first = make_labeler(fresh_model(), seed=11)
    saved = first.train_step(first.initialize_checkpoint(frame), frame)
    stored = json.dumps({"settings": first.settings_dict(), "checkpoint": saved.to_dict()})

    loaded = json.loads(stored)  # as a new process would find it
    resumed = Labeler.from_settings(loaded["settings"], fresh_model(), fresh_model())
    assert resumed.settings_dict() == first.settings_dict()
    restored = LabelerCheckpoint.from_dict(loaded["checkpoint"])
    for _ in range(2):
        restored = resumed.train_step(restored, frame)

    def without_call_counts(data: dict[str, Any]) -> dict[str, Any]:
        # A new process starts with an empty cache, so it pays for calls the first one reused.
        for record in data["history"]:
            record.pop("model_calls")
            record.pop("cache_hits")
        return data

    assert without_call_counts(restored.to_dict()) == without_call_counts(checkpoint.to_dict())


def test_requests_are_never_sent_twice_and_repeats_come_from_the_cache(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    maker = make_labeler(model)
    first = maker.train_step(maker.initialize_checkpoint(frame), frame)
    second = maker.train_step(first, frame)

    # The checkpoint kept by step 1 was scored in step 1: step 2 re-scores it from the cache.
    assert second.history[-1]["cache_hits"] >= 20
    assert maker.stats.cache_hits >= 20
    sent = [
        (r.prompt, r.temperature, tuple(r.stop_sequences or ()), r.max_output_tokens)
        for r in model.requests
    ]
    assert len(sent) == len(set(sent)) == maker.stats.model_calls

    # A cache shared with another run of the same settings answers everything it already knows.
    shared = InMemoryResponseCache()
    warm = make_labeler(world.model(), cache=shared)
    warm.train_step(warm.initialize_checkpoint(frame), frame)
    replay_model = world.model()
    replay = make_labeler(replay_model, cache=shared)
    replay.train_step(replay.initialize_checkpoint(frame), frame)
    assert replay_model.requests == []
    assert replay.stats.model_calls == 0


def test_should_stop_cancels_the_step_and_leaves_the_checkpoint(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    stop = threading.Event()
    maker = make_labeler(model, should_stop=stop.is_set, max_concurrency=2)
    start = maker.initialize_checkpoint(frame)
    before = start.to_dict()
    calls_at_start = len(model.requests)

    original = world.fail_when

    def stop_after_ten(request: Request) -> bool:
        if len(model.requests) - calls_at_start >= 10:
            stop.set()
        return False if original is None else original(request)

    world.fail_when = stop_after_ten
    with pytest.raises(TrainingCancelled):
        maker.train_step(start, frame)
    assert start.to_dict() == before
    assert len(model.requests) - calls_at_start <= 10 + 2  # at most the calls already running


def test_predictions_are_label_values_of_the_frames_type() -> None:
    frame = pd.DataFrame({"comment": ["kw1 a", "kw2 b"], "isHate": [True, False]})
    world = RuleWorld(truth=truth_of(frame), fallback="False")
    maker = Labeler(
        ["comment"], "isHate", frame["isHate"].unique(), TASK, world.model(), world.model()
    )
    predictions = maker.infer_checkpoint(LabelerCheckpoint(), frame)
    assert [p["prediction"] for p in predictions] == [False, False]
    assert [
        p["prediction"] == truth for p, truth in zip(predictions, frame["isHate"], strict=True)
    ] == [False, True]
    assert json.loads(json.dumps(maker.settings_dict()))["label_values"] == [True, False]


@pytest.mark.parametrize(
    ("labels", "answers", "expected"),
    [
        (["no", "not"], ["not", "no", "Not.", "nothing"], ["not", "no", "not", ""]),
        ([1, 10], ["10", "1", "10.", "100"], [10, 1, 10, ""]),
        (
            ["hate", "not hate"],
            ["not hate", "hate", "Not hate.", "unclear"],
            ["not hate", "hate", "not hate", ""],
        ),
    ],
)
def test_answers_become_exact_labels_and_unknown_answers_are_empty(
    labels: list[object], answers: list[str], expected: list[object]
) -> None:
    texts = [f"kw{i} text" for i in range(len(answers))]
    by_text = dict(zip(texts, answers, strict=True))
    model = ScriptedModel(responder=lambda request: by_text[example_text(request.prompt)])
    frame = pd.DataFrame({"comment": texts, "label": [labels[0]] * len(texts)})
    maker = Labeler(["comment"], "label", labels, TASK, model, model)
    predictions = maker.infer_checkpoint(LabelerCheckpoint(), frame)
    assert [p["prediction"] for p in predictions] == expected
    assert [type(p["prediction"]) for p in predictions] == [type(e) for e in expected]
    assert all("\n" in r.stop_sequences and " " not in r.stop_sequences for r in model.requests)  # type: ignore[operator]
    assert maker.get_scorecard(frame, predictions)["n_empty"] == 1


def test_progress_reaches_the_callback_and_a_failing_callback_does_not_stop_training(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    events: list[ProgressEvent] = []
    maker = make_labeler(world.model(), progress=events.append)
    maker.train_step(maker.initialize_checkpoint(frame), frame)
    phases = {event.phase for event in events}
    assert {"initialize", "validate", "improve", "score"} <= phases
    final_validate = [e for e in events if e.phase == "validate" and e.done == e.total]
    assert final_validate and final_validate[-1].total == 20 and final_validate[-1].step == 1
    assert events[-1].model_calls <= maker.stats.model_calls

    def broken(event: ProgressEvent) -> None:
        raise RuntimeError("slack is down")

    quiet = make_labeler(world.model(), progress=broken)
    result = quiet.train_step(quiet.initialize_checkpoint(frame), frame)
    assert result.steps_done == 1


def test_a_separate_validation_frame_scores_candidates_but_is_never_trained_on(
    frame: pd.DataFrame,
) -> None:
    test_frame = hate_frame(9, offset=100)
    world = RuleWorld(truth=truth_of(frame, test_frame), fallback="False")
    model = world.model()
    maker = make_labeler(model)
    result = maker.train_step(maker.initialize_checkpoint(frame), frame, test_frame)

    held_out = {token_of(text) for text in test_frame["comment"]}
    for request in model.requests:
        if prompt_kind(request.prompt) != "classify":
            assert token_of(example_text(request.prompt)) not in held_out
    scored = {example_text(r.prompt) for r in requests_of_kind(model, "classify")}
    assert set(test_frame["comment"]) <= scored
    assert result.history[-1]["validation_size"] == 9


def test_get_best_mutations_ranks_the_current_checkpoint_with_its_candidates(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    maker = make_labeler(world.model())
    start = maker.initialize_checkpoint(frame)
    ranked = maker.get_best_mutations(start, frame, n_best=3)
    assert len(ranked) == 3
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    everything = maker.get_best_mutations(start, frame, n_best=20)
    assert any(checkpoint.attributes == start.attributes for checkpoint, _ in everything)
    assert all(checkpoint.history[-1]["step"] == 1 for checkpoint, _ in everything)


def test_training_without_a_checkpoint_starts_from_scratch(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    maker = make_labeler(world.model())
    result = maker.train_step(None, frame)
    assert [rule["label"] for rule in result.attributes] == [True, False]
    assert result.history[-1]["previous_score"] is None
    assert result.history[-1]["change"] == "initial rules"
    assert result.history[-1]["candidates_scored"] == 2  # n_mutations_to_try first drafts


def test_settings_are_checked_when_the_labeler_is_made(world: RuleWorld) -> None:
    model = world.model()
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        make_labeler(model, hparams={"n_mutation_to_try": 2})
    with pytest.raises(ValueError, match="score_fn must be"):
        make_labeler(model, hparams={"score_fn": "auc"})
    with pytest.raises(ValueError, match="pos_label 'maybe' is not one of"):
        make_labeler(model, hparams={"score_fn": "f1_binary", "pos_label": "maybe"})
    with pytest.raises(ValueError, match="n_best must be a positive integer"):
        make_labeler(model, hparams={"n_best": 0})
    partial = make_labeler(model, hparams={"n_best": 5, "pos_label": "true"})
    assert partial.hparams["n_best"] == 5
    assert partial.hparams["pos_label"] is True
    assert partial.hparams["n_validation_examples"] == 100


def test_missing_columns_and_labels_are_reported_by_name(world: RuleWorld) -> None:
    maker = make_labeler(world.model())
    with pytest.raises(ValueError, match=r"no column comment \(its columns: text, isHate\)"):
        maker.initialize_checkpoint(pd.DataFrame({"text": ["a"], "isHate": [True]}))
    with pytest.raises(ValueError, match='no training rows have isHate = "False"'):
        maker.initialize_checkpoint(pd.DataFrame({"comment": ["kw1"], "isHate": [True]}))


def test_score_rules_scores_the_empty_starting_rules_on_the_first_steps_rows(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    maker = make_labeler(model)
    score = maker.score_rules(None, frame)
    calls = maker.stats.model_calls
    assert calls == 20  # one classification per validation row, nothing trained
    assert all("(no rules yet)" in request.prompt for request in model.requests)
    # The rows are those the first step from scratch scores its candidates on.
    rows = maker.train_step(None, frame).validation_rows
    assert rows is not None and len(rows) == 20
    # No rule yet: every comment is labelled "False", so the hateful ones are the mistakes.
    assert score == pytest.approx(1 - sum(bool(frame["isHate"].iloc[row]) for row in rows) / 20)
    # Asked again, the same answers come from the cache.
    cached, asked = maker.stats.cache_hits, len(model.requests)
    assert maker.score_rules(None, frame) == score
    assert maker.stats.cache_hits - cached == 20
    assert len(model.requests) == asked


def test_score_rules_of_a_checkpoint_is_its_next_steps_previous_score(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    maker = make_labeler(world.model())
    start = maker.train_step(None, frame)
    score = maker.score_rules(start, frame)
    assert start.history[-1]["step"] == 1  # left as it was
    assert maker.train_step(start, frame).history[-1]["previous_score"] == score
    # A separate validation frame is scored whole: rows 0, 3 and 6 of nine are hateful.
    assert maker.score_rules(None, frame, frame.iloc[:9]) == pytest.approx(6 / 9)


def test_score_rules_is_cancelled_by_should_stop_and_refuses_experts(
    world: RuleWorld, frame: pd.DataFrame
) -> None:
    model = world.model()
    with pytest.raises(TrainingCancelled):
        make_labeler(model, should_stop=lambda: True).score_rules(None, frame)
    assert model.requests == []
    mixture = LabelerCheckpoint(experts=[labeler.Expert(LabelerCheckpoint(), [0.0], [0])])
    with pytest.raises(ValueError, match="infer_checkpoint"):
        make_labeler(model).score_rules(mixture, frame)
