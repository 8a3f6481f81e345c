"""Classifying a free reply to an answer: kudos, critique, rewrite, or not feedback at all."""

from __future__ import annotations

import json

from alignment._single_run.feedback_classifier import CLASSIFY_SCHEMA, classify_reply
from tests.fakes.models import ScriptedModel, StructuredScriptedModel


def answer(kind: str, feedback: str = "") -> str:
    return json.dumps({"kind": kind, "feedback": feedback})


def test_a_critique_comes_back_restated_and_the_model_sees_reply_and_answer() -> None:
    model = StructuredScriptedModel([answer("critique", "The list misses safety advice.")])
    reading = classify_reply(model, "hmm, what about not cutting yourself?", "1. Cut paper")
    assert (reading.kind, reading.feedback) == ("critique", "The list misses safety advice.")
    assert reading.is_feedback
    request = model.requests[0]
    assert request.schema == CLASSIFY_SCHEMA
    assert "what about not cutting yourself?" in request.prompt and "1. Cut paper" in request.prompt


def test_chatter_is_not_feedback() -> None:
    model = ScriptedModel([answer("not_feedback")])
    reading = classify_reply(model, "lunch at noon?", "1. Cut paper")
    assert not reading.is_feedback and reading.feedback == ""


def test_a_missing_restatement_falls_back_to_the_reply_itself() -> None:
    model = ScriptedModel([answer("rewrite")])
    reading = classify_reply(model, "  Cut ribbon. Open mail.  ", "1. Cut paper")
    assert (reading.kind, reading.feedback) == ("rewrite", "Cut ribbon. Open mail.")


def test_an_unusable_answer_is_asked_again_with_the_problem_named() -> None:
    model = ScriptedModel(["it is praise", answer("praise"), answer("kudos", "Clear list.")])
    assert classify_reply(model, "nice", "1. Cut paper").kind == "not_feedback"
    assert "could not be used" in model.requests[1].prompt
    assert len(model.requests) == 2
    model.queue("{broken", answer("kudos", "Clear list."))
    assert classify_reply(model, "nice", "1. Cut paper").feedback == "Clear list."


def test_an_empty_reply_costs_no_model_call() -> None:
    model = ScriptedModel()
    assert not classify_reply(model, "   ", "1. Cut paper").is_feedback
    assert model.requests == []
