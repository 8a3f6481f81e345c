"""Racing candidates: the clear winner for fewer calls, full evaluation kept, duplicates once."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from alignment._labeler.racing import advantage_bound, slice_size
from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint
from alignment.labeler import DEFAULT_HPARAMS, Labeler
from tests.alignment.labeler_world import (
    RuleWorld,
    example_text,
    hate_frame,
    requests_of_kind,
    token_of,
    truth_of,
)
from tests.fakes.models import ScriptedModel

TRAIN = hate_frame(60)
# A separate validation frame, so its rows are told apart from the training rows by token.
VALIDATION = hate_frame(100, offset=1000)
HATEFUL_TOKENS = " ".join(
    token
    for text, hate in zip(VALIDATION["comment"], VALIDATION["isHate"], strict=True)
    if hate and (token := token_of(text))
)


def great_for_even_rows(prompt: str) -> str:
    """Mistakes on even rows lead to one rule naming every hateful validation row (a clear
    winner, the same text each time); the others to a rule naming only their own row."""
    token = token_of(example_text(prompt)) or ""
    if int(token[2:]) % 2 == 0:
        return f"Mentions any of {HATEFUL_TOKENS}."
    return f"Mentions {token}."


def start() -> LabelerCheckpoint:
    return LabelerCheckpoint(
        attributes=[
            LabelerAttribute(id="R1", value="Starting rule.", label=True),
            LabelerAttribute(id="R2", value="Starting rule.", label=False),
        ],
        next_rule_number=3,
    )


# Six mistakes, one change each: enough candidates to race, few enough to count by hand.
SMALL = {"n_incorrect_predictions_to_sample": 6, "n_mutations_to_try": 1}


def run_step(hparams: dict[str, Any], **world: Any) -> tuple[Labeler, ScriptedModel, Any]:
    model = RuleWorld(truth_of(TRAIN, VALIDATION), fallback="False", **world).model()
    labeler = Labeler(
        ["comment"],
        "isHate",
        [True, False],
        "Is it hateful?",
        model,
        model,
        hparams=hparams,
        max_concurrency=4,
        seed=5,
    )
    result = labeler.train_step(start(), TRAIN, VALIDATION)
    return labeler, model, result


def candidate_calls(model: ScriptedModel) -> int:
    """Classifications of validation rows with a candidate's rules (not the starting ones)."""
    return sum(
        1
        for request in requests_of_kind(model, "classify")
        if int((token_of(example_text(request.prompt)) or "kw0")[2:]) >= 1000
        and "Mentions" in request.prompt
    )


def test_racing_picks_the_clear_winner_with_fewer_calls() -> None:
    full_labeler, full_model, full = run_step(
        {**SMALL, "racing": False}, write_rule=great_for_even_rows
    )
    raced_labeler, raced_model, raced = run_step(
        {**SMALL, "racing": True}, write_rule=great_for_even_rows
    )

    assert HATEFUL_TOKENS.split()[0] in raced.rules_for(True)[-1]["value"]
    assert raced.rules_key() == full.rules_key()
    # The winner is scored on every row, so both record the same full-validation score.
    assert raced.last_score == full.last_score == 1.0
    scored = full_labeler.stats.candidates_scored
    assert scored == raced_labeler.stats.candidates_scored >= 3
    assert candidate_calls(full_model) == scored * len(VALIDATION)
    # Every loser stops after the first slice; only the winner is classified on every row.
    first = slice_size(len(VALIDATION))
    assert candidate_calls(raced_model) == len(VALIDATION) + (scored - 1) * first


def test_racing_off_reproduces_full_evaluation_calls_and_choice() -> None:
    # The seed's defaults (no racing key) are full evaluation, call for call.
    _, seed_model, seed_result = run_step(dict(DEFAULT_HPARAMS), write_rule=great_for_even_rows)
    _, off_model, off_result = run_step(
        {**DEFAULT_HPARAMS, "racing": False}, write_rule=great_for_even_rows
    )
    assert "racing" not in DEFAULT_HPARAMS
    assert sorted(r.prompt for r in seed_model.requests) == sorted(
        r.prompt for r in off_model.requests
    )
    assert seed_result.to_dict() == off_result.to_dict()


def test_a_candidate_with_the_same_rules_is_scored_once() -> None:
    # Every mistake leads to the same rule text: one candidate, whatever the number of mistakes.
    labeler, model, _ = run_step(
        {**SMALL, "racing": False}, write_rule=lambda prompt: "Mentions kw3."
    )
    assert labeler.stats.candidates_scored == 1
    assert labeler.stats.duplicate_mutations == 5
    assert candidate_calls(model) == len(VALIDATION)


def test_a_rewrite_into_the_rules_already_there_is_not_scored() -> None:
    start_rules = start()
    same = start_rules.copy()
    same.attributes[0] = LabelerAttribute(id="R9", value=" Starting rule. ", label=True)
    assert same.rules_key() == start_rules.rules_key()
    assert same.fingerprint() != start_rules.fingerprint()


def test_mistakes_whose_choices_are_unreadable_do_not_hold_the_step() -> None:
    def choose(prompt: str) -> str:
        token = token_of(example_text(prompt)) or ""
        return "banana" if int(token[2:]) % 2 else "1"

    labeler, model, result = run_step(
        {**SMALL, "racing": True}, write_rule=great_for_even_rows, choose=choose
    )
    unreadable = labeler.stats.unparseable_choices
    assert unreadable >= 1
    # One question and one retry per unreadable mistake, then its chain ends; one question
    # for each of the others.
    asked = requests_of_kind(model, "choose")
    assert len(asked) == SMALL["n_incorrect_predictions_to_sample"] + unreadable
    assert result.last_score == 1.0


@pytest.mark.parametrize(
    ("wins", "losses", "compared", "expected_drop"),
    [
        (0, 7, 20, True),  # clearly behind after a fifth of the rows
        (0, 0, 20, False),  # agreed so far: 80 rows to go may still tell them apart
        (0, 0, 100, True),  # agreed on every row: cannot end a row ahead
        (3, 1, 20, False),  # ahead so far
        (0, 1, 100, True),
    ],
)
def test_advantage_bound(wins: int, losses: int, compared: int, expected_drop: bool) -> None:
    assert (advantage_bound(wins, losses, compared, 100) < 1) is expected_drop


def test_racing_is_not_used_for_f1() -> None:
    _, full_model, _ = run_step(
        {**SMALL, "racing": False, "score_fn": "f1"}, write_rule=great_for_even_rows
    )
    _, raced_model, _ = run_step(
        {**SMALL, "racing": True, "score_fn": "f1"}, write_rule=great_for_even_rows
    )
    assert candidate_calls(full_model) == candidate_calls(raced_model)


def test_racing_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="racing"):
        run_step({**SMALL, "racing": "yes"})


def test_frame_fixture_has_hateful_rows() -> None:
    assert isinstance(VALIDATION, pd.DataFrame) and len(HATEFUL_TOKENS.split()) == 33
