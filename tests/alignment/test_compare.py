"""Comparing two prompt versions on examples: answers, both-order judging, ties, cache, stop."""

from __future__ import annotations

import json
import re
import threading

import pytest

from alignment import compare
from alignment.errors import TrainingCancelled
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt
from tests.fakes.models import Request, ScriptedModel, StructuredScriptedModel

PRINCIPLES = ["Keep each use to one line.", "Include one creative use."]


def version(model: ScriptedModel, template: str) -> AlignableSingleRun:
    data = ConstitutionalPrompt(preamble=template, original_preamble=template)
    data.principles = list(PRINCIPLES)
    return AlignableSingleRun(model, data=data)


def answers_of(request: Request) -> tuple[str, str]:
    first = re.search(r"<answer_1>\n(.*?)\n</answer_1>", request.prompt, re.DOTALL)
    second = re.search(r"<answer_2>\n(.*?)\n</answer_2>", request.prompt, re.DOTALL)
    assert first and second
    return first.group(1), second.group(1)


def fair_judge(request: Request) -> str:
    """Answers from the new template ("new:") win, citing principle 2; runs echo their prompt."""
    if "<answer_1>" not in request.prompt:
        return ("new: " if request.prompt.startswith("New") else "old: ") + request.prompt
    first, second = answers_of(request)
    if first.startswith("new:") == second.startswith("new:"):
        return json.dumps({"winner": "tie", "principles": [], "reason": "same"})
    winner = "1" if first.startswith("new:") else "2"
    return json.dumps({"winner": winner, "principles": [2], "reason": "more creative"})


def examples(count: int) -> list[compare.Example]:
    return [compare.Example({"item": f"thing {n}"}, id=f"e{n}") for n in range(count)]


def test_the_new_version_wins_every_pair_with_the_deciding_principle() -> None:
    model = ScriptedModel(responder=fair_judge)
    old, new = version(model, "Old: uses for {item}"), version(model, "New: uses for {item}")
    result = compare.compare_versions(old, new, examples(5), judge=model, max_concurrency=4)

    assert (result.b_better, result.b_worse, result.tied) == (5, 0, 0)
    table = {t.principle: (t.b_won, t.b_lost) for t in result.principle_table()}
    assert table == {PRINCIPLES[1]: (5, 0), PRINCIPLES[0]: (0, 0)}
    item = result.examples[0]
    assert item.answer_a == "old: Old: uses for thing 0"
    assert item.answer_b == "new: New: uses for thing 0"
    assert item.reason == "more creative"
    # Each pair was judged in both orders: 10 answers, 10 verdicts, nothing from a cache.
    assert result.calls.to_dict() == {
        "answers_made": 10,
        "answers_cached": 0,
        "judge_made": 10,
        "judge_cached": 0,
    }
    orders = [answers_of(r) for r in model.requests if "<answer_1>" in r.prompt]
    assert ("old: Old: uses for thing 0", "new: New: uses for thing 0") in orders
    assert ("new: New: uses for thing 0", "old: Old: uses for thing 0") in orders


def test_a_judge_that_always_picks_the_first_answer_gives_only_ties() -> None:
    def first_wins(request: Request) -> str:
        if "<answer_1>" not in request.prompt:
            return "answer to " + request.prompt
        return json.dumps({"winner": "1", "principles": [1], "reason": "first"})

    model = ScriptedModel(responder=first_wins)
    result = compare.compare_versions(
        version(model, "Old {item}"), version(model, "New {item}"), examples(4), judge=model
    )
    assert (result.b_better, result.b_worse, result.tied) == (0, 0, 4)
    assert all(t.b_won == t.b_lost == 0 for t in result.principle_table())
    assert "disagreed" in result.examples[0].reason


def test_the_ideal_answer_is_shown_to_the_judge_and_rows_carry_everything() -> None:
    model = ScriptedModel(responder=fair_judge)
    items = [compare.Example({"item": "rope"}, ideal="Tie a knot.", id="e1")]
    result = compare.compare_templates(
        "Old {item}", "New {item}", items, model, principles=PRINCIPLES
    )
    judged = [r.prompt for r in model.requests if "<answer_1>" in r.prompt]
    assert len(judged) == 2 and all("<ideal>\nTie a knot.\n</ideal>" in p for p in judged)
    row = result.rows()[0]
    assert row["item"] == "rope" and row["ideal"] == "Tie a knot."
    assert row["outcome"] == "B better" and row["deciding_principles"] == PRINCIPLES[1]


def test_comparing_again_after_one_version_changed_pays_only_for_that_version() -> None:
    model = ScriptedModel(responder=fair_judge)
    cache = compare.InMemoryResponseCache()
    old, new = version(model, "Old: {item}"), version(model, "New: {item}")
    compare.compare_versions(old, new, examples(3), judge=model, cache=cache)
    newer = version(model, "New: better {item}")
    assert compare.planned_calls(old, newer, examples(3), cache, model) == 9
    before = len(model.requests)
    again = compare.compare_versions(old, newer, examples(3), judge=model, cache=cache)
    assert again.calls.to_dict() == {
        "answers_made": 3,
        "answers_cached": 3,
        "judge_made": 6,
        "judge_cached": 0,
    }
    assert len(model.requests) - before == 9
    # Nothing changed at all: nothing to pay.
    assert compare.planned_calls(old, newer, examples(3), cache, model) == 0
    third = compare.compare_versions(old, newer, examples(3), judge=model, cache=cache)
    assert third.calls.made == 0 and third.b_better == 3


def test_unusable_verdicts_are_asked_again_then_count_as_a_tie() -> None:
    def broken(request: Request) -> str:
        if "<answer_1>" not in request.prompt:
            return "answer to " + request.prompt
        return json.dumps({"winner": "1", "principles": [9], "reason": "?"})

    model = StructuredScriptedModel(responder=broken)
    result = compare.compare_versions(
        version(model, "Old {item}"), version(model, "New {item}"), examples(1), judge=model
    )
    assert result.tied == 1
    judged = [r for r in model.requests if r.schema is not None]
    assert len(judged) == 4  # two orders, each asked twice
    assert "principle 9 does not exist" in judged[1].prompt
    assert not result.examples[0].a_first.usable


def test_answers_are_generated_side_by_side() -> None:
    in_flight, peak = [0], [0]
    lock = threading.Lock()
    release = threading.Event()

    def slow(request: Request) -> str:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            if peak[0] >= 4:
                release.set()
        release.wait(5)
        with lock:
            in_flight[0] -= 1
        return fair_judge(request)

    model = ScriptedModel(responder=slow)
    compare.compare_versions(
        version(model, "Old {item}"),
        version(model, "New {item}"),
        examples(4),
        judge=model,
        max_concurrency=4,
    )
    assert peak[0] == 4


def test_a_stop_request_ends_the_comparison() -> None:
    model = ScriptedModel(responder=fair_judge)
    with pytest.raises(TrainingCancelled):
        compare.compare_versions(
            version(model, "Old {item}"),
            version(model, "New {item}"),
            examples(3),
            judge=model,
            should_stop=lambda: len(model.requests) >= 2,
            max_concurrency=1,
        )
    assert len(model.requests) == 2


def test_progress_counts_every_step() -> None:
    seen: list[tuple[int, int]] = []
    model = ScriptedModel(responder=fair_judge)
    compare.compare_versions(
        version(model, "Old {item}"),
        version(model, "New {item}"),
        examples(2),
        judge=model,
        on_progress=lambda done, total: seen.append((done, total)),
        max_concurrency=1,
    )
    assert sorted(seen) == [(n, 8) for n in range(1, 9)]
