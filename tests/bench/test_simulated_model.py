"""The benchmark's simulated model: deterministic, wrong on about 40 % of tickets, counted."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from simulated_model import (
    KEY_PATTERN,
    RULE_TAG_PATTERN,
    TICKET_LABELS,
    SimulatedModelMixin,
    gold_label,
    make_ticket,
    model_label,
    prompt_kind,
)

from alignment._providers.base import ModelHelper

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


class SimulatedModel(SimulatedModelMixin, ModelHelper):
    pass


def classify_prompt(ticket: str, rules: list[str]) -> str:
    rule_lines = "\n".join(f"answer_{TICKET_LABELS[i % 3]}: {rule}" for i, rule in enumerate(rules))
    return f"Ticket: {ticket}\nWhich team?\n{rule_lines}\nThe best answer is answer_"


def test_tickets_are_reproducible_and_labelled_by_their_key() -> None:
    first, again, other = make_ticket(7, seed=3), make_ticket(7, seed=3), make_ticket(8, seed=3)
    assert first == again
    assert first != other
    text, label = first
    (key,) = KEY_PATTERN.findall(text)
    assert label == gold_label(key)
    assert 250 <= len(text) <= 300


def test_model_is_wrong_on_about_forty_percent_of_tickets() -> None:
    keys = [KEY_PATTERN.findall(make_ticket(index)[0])[0] for index in range(3000)]
    wrong = sum(model_label(key) != gold_label(key) for key in keys)
    assert 0.36 < wrong / len(keys) < 0.44
    golds = {gold_label(key) for key in keys}
    assert golds == set(TICKET_LABELS)


def test_error_rate_is_a_parameter() -> None:
    keys = [KEY_PATTERN.findall(make_ticket(index)[0])[0] for index in range(500)]
    assert all(model_label(key, error_rate=0.0) == gold_label(key) for key in keys)
    assert all(model_label(key, error_rate=1.0) != gold_label(key) for key in keys)


def test_classification_depends_on_the_ticket_key_only() -> None:
    text, _ = make_ticket(11)
    (key,) = KEY_PATTERN.findall(text)
    short = SimulatedModel(latency=0)
    other = SimulatedModel(latency=0)
    answers = {
        short.predict(classify_prompt(text, ["rule one"]), 0.0),
        other.predict(classify_prompt(text[:40], ["another rule", "and more"]), 0.9),
    }
    assert answers == {model_label(key)}


def test_every_training_prompt_kind_gets_a_usable_answer() -> None:
    model = SimulatedModel(latency=0)
    ticket, _ = make_ticket(1)
    options = "1: Add a rule to billing\n2: Edit rule 123 of outage\n3: Delete rule 456"
    prompts = {
        "rule": f"inputs: [{ticket}]\nteam: billing\nMake an observation.\nobservation:",
        "feedback": f"{ticket}\nWhy is the correct answer billing? Explain. ANSWER:",
        "choose": f"{ticket}\n{options}\nReply with the number of the best option.\nANSWER:",
        "advice": f"{ticket}\nHow can we improve rule 123 so it is clear?\nANSWER:",
    }
    for kind, prompt in prompts.items():
        assert prompt_kind(prompt) == kind
        answer = model.predict(prompt, 0.9, stop_sequences=["\n\n"])
        assert isinstance(answer, str) and answer.strip()
    assert model.predict(prompts["choose"], 0.9) in {"1", "2", "3"}
    rule = model.predict(prompts["rule"], 0.9)
    assert isinstance(rule, str)
    assert set(RULE_TAG_PATTERN.findall(rule)) == set(model.rules_written)


def test_candidate_rulebooks_are_told_apart_from_the_current_one() -> None:
    model = SimulatedModel(latency=0)
    current = [str(model.predict(f"label {label}\nobservation:", 0.9)) for label in TICKET_LABELS]
    starting = frozenset(model.rules_written)
    edited = [*current[:2], str(model.predict("write the improved version:", 0.9))]
    model.stats.reset()
    tickets = [make_ticket(index)[0] for index in range(5)]
    for ticket in tickets:
        model.predict(classify_prompt(ticket, current), 0.1)
        model.predict(classify_prompt(ticket, edited), 0.1)
        model.predict(classify_prompt(ticket, current[:2]), 0.1)
    summary = model.stats.summary(starting)
    assert summary["calls"] == 15
    assert summary["current_checkpoint_calls"] == 5
    assert summary["candidates_scored"] == 2
    assert summary["candidate_calls"] == 10


def test_stop_sequences_and_candidate_count() -> None:
    model = SimulatedModel(latency=0)
    prompt = "Why is the correct answer outage? Explain."
    full = model.predict(prompt, 0.9)
    cut = model.predict(prompt, 0.9, stop_sequences=["rule"])
    assert isinstance(full, str) and isinstance(cut, str)
    assert "rule" in full and full.startswith(cut) and "rule" not in cut
    several = model.predict(prompt, 0.9, candidate_count=3)
    assert isinstance(several, list) and len(several) == 3
    assert model.stats.calls == 3


def test_concurrent_calls_overlap_and_are_counted() -> None:
    model = SimulatedModel(latency=0.2)
    prompt = "Why is the correct answer outage? Explain."
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: model.predict(prompt, 0.9), range(6)))
    assert model.stats.calls == 6
    assert model.stats.peak_in_flight > 1
    assert model.stats.in_flight == 0
    profile = model.stats.summary(frozenset())["kinds"]["feedback"]
    assert profile["calls"] == 6 and profile["peak_in_flight"] == model.stats.peak_in_flight


@pytest.mark.timeout(120)
def test_bench_script_runs_ours_and_the_memory_probe(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(BENCH_DIR / "labeler_speed.py"),
        "--skip-upstream",
        "--latency=0",
        "--train-rows=30",
        "--validation-rows=10",
        "--memory-rows=300",
        f"--out-dir={tmp_path}",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=110)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "peak resident memory" in finished.stdout
    assert "upstream 0.3" not in finished.stdout
    results = json.loads((tmp_path / "labeler_speed.json").read_text())
    ours = results["speed"]["ours"]
    assert ours["calls"] > 0 and ours["candidates_scored"] >= 1
    # Every prompt our labeler sent was recognised and answered in kind.
    assert "other" not in ours["calls_by_kind"]
    assert {"classify", "feedback", "choose", "rule"} <= set(ours["calls_by_kind"])
    assert results["memory"]["rows"] == 300
    assert results["memory"]["peak_rss_bytes"] >= max(results["memory"]["stage_rss_bytes"].values())
