"""The API surface that code written for the seed library relies on: module and class names,
argument order, and the shapes of what comes back. Each test fails if one of these drifts."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from alignment import labeler, model_helper, single_run
from alignment._labeler import types as labeler_types
from alignment._providers import base as model_base
from alignment._providers.gemini import DEFAULT_GEMINI_MODEL
from alignment._single_run import types as prompt_types
from tests.alignment.labeler_world import RuleWorld, hate_frame, requests_of_kind, truth_of
from tests.alignment.model_test_support import RecordedSleeps, clear_model_env
from tests.alignment.single_run_answers import decision, rewritten, suggestions
from tests.fakes.gemini_server import FakeGemini, model_of
from tests.fakes.models import Request, ScriptedModel

SEED_HPARAM_KEYS = {
    "n_incorrect_predictions_to_sample",
    "n_mutations_to_try",
    "n_best",
    "score_fn",
    "pos_label",
    "n_validation_examples",
    "truncation_length",
}


# -- names ------------------------------------------------------------------------------------


def test_seed_names_resolve_to_the_library_types() -> None:
    assert model_helper.ModelHelper is model_base.ModelHelper
    assert single_run.ModelHelper is model_base.ModelHelper
    assert labeler.ModelHelper is model_base.ModelHelper
    assert issubclass(model_helper.GeminiModelHelper, model_base.ModelHelper)
    for module in (single_run, labeler):
        assert module.ConstitutionalPrompt is prompt_types.ConstitutionalPrompt
        assert module.ConversationTurn is prompt_types.ConversationTurn
    assert labeler.LabelerCheckpoint is labeler_types.LabelerCheckpoint
    for name in ("LabelerAttribute", "PredictionResult", "Scorecard", "TrainingHyperparameters"):
        assert getattr(labeler, name) is getattr(labeler_types, name)
    assert set(labeler.DEFAULT_HPARAMS) == SEED_HPARAM_KEYS


def test_data_classes_build_empty_and_fill_by_attribute() -> None:
    turn = prompt_types.ConversationTurn()
    turn.is_user = True
    turn.text = "Brainstorm uses for: glue"
    turn.vars["item"] = "glue"
    assert str(turn) == "Brainstorm uses for: glue"
    assert prompt_types.ConversationTurn().vars == {}  # no dict shared between turns

    prompt = prompt_types.ConstitutionalPrompt()
    assert (prompt.preamble, prompt.original_preamble) == ("", "")
    prompt.conversations.append([turn])
    prompt.principles.append("Be brief.")
    assert prompt_types.ConstitutionalPrompt().principles == []
    assert prompt_types.ConstitutionalPrompt().conversations == []

    checkpoint = labeler.LabelerCheckpoint()
    assert checkpoint.attributes == []


# -- single-run prompts -------------------------------------------------------------------------

PLAIN_ANSWER = "1. Cut paper.\n2. Open parcels.\n3. Trim string."
CRITIQUES = ("Every use is about cutting.", "No use is explained.", "Nothing is surprising.")
PRINCIPLE = "Include one surprising use."
NEW_DESCRIPTION = "List three uses, one of them surprising, for this item: {item}"


def alignment_answer(request: Request) -> str:
    """The alignment model's side, told apart by the JSON shape each prompt asks for."""
    if '{"action":' in request.prompt:
        return decision("add", 0, PRINCIPLE, "asked for")
    if '{"suggestions":' in request.prompt:
        return suggestions(*CRITIQUES)
    if '{"prompt":' in request.prompt:
        return rewritten(NEW_DESCRIPTION)
    raise AssertionError(f"not an alignment prompt: {request.prompt[:200]!r}")


def test_single_run_takes_prompt_model_alignment_model_and_data_in_that_order() -> None:
    prompt_model = ScriptedModel(responder=lambda request: PLAIN_ANSWER)
    alignment_model = ScriptedModel(responder=alignment_answer)
    data = prompt_types.ConstitutionalPrompt()
    data.principles.append("Use plain words.")

    run = single_run.AlignableSingleRun(prompt_model, alignment_model, data)
    assert run.data is data

    run.set_model_description("Brainstorm three ways to use the following item: {item}")
    output = run.send_input({"item": "scissors"})
    assert isinstance(output, prompt_types.ConversationTurn)
    critiques = run.generate_critiques()

    assert [r.prompt for r in prompt_model.requests] == [
        "Brainstorm three ways to use the following item: scissors"
    ]
    assert len(alignment_model.requests) == 1
    assert critiques == list(CRITIQUES)


def test_notebook_single_run_steps_return_the_seed_shapes() -> None:
    model = ScriptedModel(
        responder=lambda request: (
            PLAIN_ANSWER
            if request.prompt.startswith(("Brainstorm", "List"))
            else alignment_answer(request)
        )
    )
    run = single_run.AlignableSingleRun(model)
    run.set_model_description("Brainstorm three ways to use the following item: {item}")

    output = run.send_input({"item": "scissors"})
    assert isinstance(output, prompt_types.ConversationTurn)
    assert (output.text, output.is_user) == (PLAIN_ANSWER, False)

    critiques = run.generate_critiques()
    assert isinstance(critiques, list) and len(critiques) >= 3
    assert all(isinstance(critique, str) for critique in critiques)

    principles = run.critique_response(critiques[2])
    assert CRITIQUES[2] in model.requests[-1].prompt  # the critique picked is the one used
    assert principles == [PRINCIPLE] == run.data.principles

    description = run.update_model_description_from_principles()
    assert description == NEW_DESCRIPTION == run.get_model_description()

    reply = run.send_input({"item": "scissors"})
    assert (
        model.requests[-1].prompt
        == "List three uses, one of them surprising, for this item: scissors"
    )
    assert reply.text == PLAIN_ANSWER


def test_send_input_flags_are_positional_as_in_the_seed() -> None:
    answers = iter(["first", "second", "third"])
    model = ScriptedModel(responder=lambda request: next(answers))
    run = single_run.AlignableSingleRun(model)
    run.set_model_description("Name a colour like {thing}")

    candidates = run.send_input({"thing": "the sea"}, True, False)

    assert isinstance(candidates, list) and len(candidates) == 3
    assert [turn.text for turn in candidates] == ["first", "second", "third"]
    assert [turn.is_user for turn in run.get_input_output_pair()] == [True]
    run.commit_model_response(candidates[1])
    assert [turn.text for turn in run.get_input_output_pair()] == [
        "Name a colour like the sea",
        "second",
    ]


# -- model helpers ------------------------------------------------------------------------------


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    clear_model_env(monkeypatch)
    with FakeGemini(api_key="key-from-the-notebook") as server:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        yield server


def test_gemini_helper_takes_the_key_first_and_the_model_by_name(gemini: FakeGemini) -> None:
    gemini.queue("an answer")
    helper = model_helper.GeminiModelHelper("key-from-the-notebook", model_name="gemini-2.0-flash")

    assert helper.predict("Say something", temperature=0.2) == "an answer"
    assert model_of(gemini.requests[0]) == "gemini-2.0-flash"
    assert gemini.requests[0].headers.get("x-goog-api-key") == "key-from-the-notebook"


@pytest.mark.parametrize(
    ("asked", "used"),
    [
        ("gemini-pro", DEFAULT_GEMINI_MODEL),
        ("models/gemini-1.0-pro-001", DEFAULT_GEMINI_MODEL),
        ("gemini-1.5-flash-8b", DEFAULT_GEMINI_MODEL),
        ("gemini-1.5-pro-latest", "gemini-2.5-pro"),
    ],
)
def test_retired_gemini_model_names_are_replaced_with_a_warning(
    gemini: FakeGemini, caplog: pytest.LogCaptureFixture, asked: str, used: str
) -> None:
    gemini.queue("an answer")
    with caplog.at_level(logging.WARNING, logger="alignment._providers.gemini"):
        helper = model_helper.GeminiModelHelper(
            "key-from-the-notebook", model_name=asked, retry=RecordedSleeps().policy(1)
        )
    assert helper.model_name == used
    assert helper.predict("Say something", temperature=0.2) == "an answer"
    assert model_of(gemini.requests[0]) == used
    assert asked in caplog.text and used in caplog.text


# -- the labeler --------------------------------------------------------------------------------

TASK = "Does the example contain offensive text?"


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Shuffled, so the frames carry a non-default index as a train/test split leaves them.
    train = hate_frame(24).sample(frac=1.0, random_state=3)
    test = hate_frame(9, offset=24).sample(frac=1.0, random_state=4)
    return train, test


@pytest.fixture
def world(frames: tuple[pd.DataFrame, pd.DataFrame]) -> RuleWorld:
    return RuleWorld(truth=truth_of(*frames), fallback="False")


def notebook_labeler(train: pd.DataFrame, world: RuleWorld) -> labeler.Labeler:
    return labeler.Labeler(
        input_names=["comment"],
        label_name="isHate",
        label_values=train["isHate"].unique(),
        task_description=TASK,
        train_model_helper=world.model(),
        eval_model_helper=world.model(),
    )


def test_labeler_arguments_keep_the_seed_order() -> None:
    train_model, eval_model = ScriptedModel(), ScriptedModel()
    hparams = {"n_best": 2}

    made = labeler.Labeler(
        ["comment"], "isHate", ["yes", "no"], TASK, train_model, eval_model, 8, 0.3, hparams, True
    )

    assert (made.input_names, made.label_name, made.label_values) == (
        ["comment"],
        "isHate",
        ["yes", "no"],
    )
    assert made.task_description == TASK
    assert made.train_model_helper is train_model and made.eval_model_helper is eval_model
    assert (made.max_eval_output_tokens, made.eval_temperature) == (8, 0.3)
    assert made.hparams["n_best"] == 2 and made.debug_mode is True
    assert hparams == {"n_best": 2}


def test_numpy_label_values_come_back_as_plain_values(
    frames: tuple[pd.DataFrame, pd.DataFrame], world: RuleWorld
) -> None:
    train, _ = frames
    values = train["isHate"].unique()
    assert isinstance(values, np.ndarray)

    made = notebook_labeler(train, world)

    assert sorted(made.label_values) == [False, True]
    assert all(type(value) is bool for value in made.label_values)


def test_notebook_labeler_steps_return_the_seed_shapes(
    frames: tuple[pd.DataFrame, pd.DataFrame],
    world: RuleWorld,
    capsys: pytest.CaptureFixture[str],
) -> None:
    train, test = frames
    labeler_maker = notebook_labeler(train, world)

    checkpoint = labeler_maker.initialize_checkpoint(train)
    assert isinstance(checkpoint, labeler.LabelerCheckpoint)
    assert sorted(rule["label"] for rule in checkpoint.attributes) == [False, True]

    labeler.print_checkpoint(checkpoint)
    printed = capsys.readouterr().out
    for rule in checkpoint.attributes:
        assert f"{rule['id']}: {rule['value']}" in printed

    predictions = labeler_maker.infer_checkpoint(checkpoint, test)
    assert len(predictions) == len(test)
    for prediction, comment in zip(predictions, test["comment"], strict=True):
        assert set(prediction) == {"request", "raw_prediction", "prediction"}
        assert comment in prediction["request"]
        assert prediction["prediction"] in (True, False)

    scorecard = labeler_maker.get_scorecard(test, predictions)
    assert {"precision", "recall", "fscore", "support", "n_empty", "accuracy"} <= set(scorecard)
    assert isinstance(round(scorecard["accuracy"], 2), float)
    assert len(scorecard["fscore"]) == len(labeler_maker.label_values)
    support = dict(zip(labeler_maker.label_values, scorecard["support"], strict=True))
    assert support == test["isHate"].value_counts().to_dict()

    trained = labeler_maker.train_step(checkpoint, train)
    assert isinstance(trained, labeler.LabelerCheckpoint) and trained is not checkpoint

    best = labeler_maker.get_best_mutations(trained, train, None, 2, 2)
    assert 1 <= len(best) <= 2
    assert all(isinstance(pair[0], labeler.LabelerCheckpoint) for pair in best)
    scores = [pair[1] for pair in best]
    assert all(isinstance(score, float) for score in scores) and scores == sorted(
        scores, reverse=True
    )

    new_examples = pd.DataFrame({"comment": ["I hate all people", "I love my sister"]})
    labelled = labeler_maker.infer_checkpoint(trained, new_examples)
    assert [item["prediction"] for item in labelled] == [False, False]
    for (_, example), item in zip(new_examples.iterrows(), labelled, strict=True):
        assert example[["comment"]].to_dict()["comment"] in item["request"]


def test_a_checkpoint_written_by_hand_with_text_labels_is_used(
    frames: tuple[pd.DataFrame, pd.DataFrame], world: RuleWorld
) -> None:
    # The seed library stores every label as text and numbers rule ids itself; a checkpoint
    # assembled that way must still put each rule under its label.
    train, test = frames
    checkpoint = labeler.LabelerCheckpoint()
    checkpoint.attributes.append({"id": "48213", "value": "Mentions kw24.", "label": "True"})
    checkpoint.attributes.append({"id": "90715", "value": "Polite remarks.", "label": "False"})

    predictions = notebook_labeler(train, world).infer_checkpoint(checkpoint, test.head(1))

    request = predictions[0]["request"]
    assert re.search(r'^- "True": Mentions kw24\.$', request, re.MULTILINE)
    assert re.search(r'^- "False": Polite remarks\.$', request, re.MULTILINE)
    assert "(no rules yet)" not in request


def test_rules_added_to_a_hand_built_checkpoint_get_fresh_ids(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    # Rules appended by hand leave next_rule_number at its default; new ids must not reuse theirs.
    train, _ = frames
    world = RuleWorld(truth=truth_of(train), fallback="False")
    model = world.model()
    made = labeler.Labeler(["comment"], "isHate", [True, False], TASK, model, model, seed=1)
    checkpoint = labeler.LabelerCheckpoint()
    checkpoint.attributes.append({"id": "R1", "value": "Mentions kw0.", "label": True})
    checkpoint.attributes.append({"id": "R2", "value": "Polite remarks.", "label": False})

    trained = made.train_step(checkpoint, train)

    ids = [rule["id"] for rule in trained.attributes]
    assert len(ids) > 2, "the step should have added a rule"
    assert len(set(ids)) == len(ids)
    shown = {
        request.prompt.rstrip().splitlines()[-1].rstrip(":")
        for request in requests_of_kind(model, "rule")
    }
    assert set(ids[2:]) <= shown
