"""Compare two versions of a prompt on saved examples, judged by the prompt's own principles.

    from alignment import compare

    result = compare.compare_versions(old, new, examples, judge=helper)
    print(result.b_better, result.b_worse, result.tied)

Both versions answer every example; their answers are generated side by side (up to
``max_concurrency`` model calls at once), and each pair is judged as soon as both answers exist.
Every pair is judged twice, once in each order, because judges tend to favour the answer they
read first: when the two verdicts disagree, the pair is a tie. Verdicts are structured (winner,
the principles that decided it, a one-line reason).

Answers and verdicts go through a pluggable cache (``ResponseCache``: ``get``/``set`` of
strings) keyed by the model, the exact prompt sent and its settings, so comparing again after
one version changed only pays for that version's answers and the new pairs' verdicts.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from alignment._compare.cached_calls import (
    CallCounts,
    CallGate,
    cache_key,
    cached_answer,
    cached_judge,
)
from alignment._compare.examples_csv import IDEAL_COLUMN, read_examples
from alignment._compare.judging import (
    JUDGE_SCHEMA,
    JUDGE_TEMPERATURE,
    SlotVerdict,
    ask_judge,
    judge_prompt,
)
from alignment._compare.result import (
    ComparisonResult,
    Example,
    ExampleComparison,
    Outcome,
    PrincipleTally,
    Verdict,
)
from alignment._labeler.cache import InMemoryResponseCache, ResponseCache
from alignment._labeler.concurrency import WorkerPool
from alignment._providers.base import ModelHelper, SupportsStructuredOutput
from alignment.single_run import RUN_TEMPERATURE, AlignableSingleRun, ConstitutionalPrompt

__all__ = [
    "IDEAL_COLUMN",
    "CallCounts",
    "ComparisonResult",
    "Example",
    "ExampleComparison",
    "InMemoryResponseCache",
    "Outcome",
    "PrincipleTally",
    "ResponseCache",
    "Verdict",
    "compare_templates",
    "compare_versions",
    "planned_calls",
    "read_examples",
]

DEFAULT_MAX_CONCURRENCY = 8
# Judges overtake queued answers, so verdicts stream in while answers are still being made.
_JUDGE_PRIORITY = 0
_ANSWER_PRIORITY = 1

Progress = Callable[[int, int], None]


def _prompt_of(version: AlignableSingleRun, values: dict[str, str]) -> str:
    return version.render_input(values).text


def _in_ab_terms(verdict: SlotVerdict, first: Outcome, principles: Sequence[str]) -> Verdict:
    second: Outcome = "B" if first == "A" else "A"
    winner: Outcome = {"1": first, "2": second, "tie": "tie"}[verdict.winner]
    cited = tuple(principles[i] for i in verdict.principles)
    return Verdict(winner, cited, verdict.reason, verdict.usable)


def _criteria(
    a: AlignableSingleRun, b: AlignableSingleRun, principles: Sequence[str] | None
) -> list[str]:
    if principles is not None:
        return list(principles)
    return list(b.data.principles or a.data.principles)


def planned_calls(
    a: AlignableSingleRun,
    b: AlignableSingleRun,
    examples: Sequence[Example],
    cache: ResponseCache,
    judge: ModelHelper | None = None,
    *,
    principles: Sequence[str] | None = None,
) -> int:
    """How many model calls ``compare_versions`` with the same arguments would make now: the
    answers and verdicts ``cache`` lacks (so a budget can be spent before starting)."""
    criteria = _criteria(a, b, principles)
    helper = judge or b.alignment_model
    schema = JUDGE_SCHEMA if isinstance(helper, SupportsStructuredOutput) else None
    calls = 0
    for example in examples:
        values = dict(example.values)
        found: list[str] = []
        for version in (a, b):
            key = cache_key(version.prompt_model, _prompt_of(version, values), RUN_TEMPERATURE)
            hit = cache.get(key)
            if hit is not None:
                found.append(hit)
        calls += 2 - len(found)
        if len(found) < 2:
            calls += 2
            continue
        for first, second in ((found[0], found[1]), (found[1], found[0])):
            prompt = judge_prompt(values, criteria, first, second, example.ideal)
            if cache.get(cache_key(helper, prompt, JUDGE_TEMPERATURE, schema)) is None:
                calls += 1
    return calls


def compare_versions(
    a: AlignableSingleRun,
    b: AlignableSingleRun,
    examples: Sequence[Example],
    judge: ModelHelper | None = None,
    *,
    principles: Sequence[str] | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    cache: ResponseCache | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Progress | None = None,
) -> ComparisonResult:
    """Run ``a`` and ``b`` on every example and judge each pair in both orders.

    ``judge`` defaults to ``b``'s alignment model, and ``principles`` to ``b``'s (or ``a``'s
    when ``b`` has none). Answers use each version's own prompt model. ``should_stop`` is asked
    before every model call (``TrainingCancelled`` ends the comparison); ``on_progress(done,
    total)`` is told after each of the ``4 * len(examples)`` steps (cached ones included).
    Model failures are raised once calls in flight finish.
    """
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
    criteria = _criteria(a, b, principles)
    gate = CallGate(should_stop)
    store = cache if cache is not None else InMemoryResponseCache()
    helper = cached_judge(judge or b.alignment_model, store, gate)
    # Rendering is checked up front: a missing variable is the caller's mistake, not the model's.
    inputs = [(_prompt_of(a, dict(e.values)), _prompt_of(b, dict(e.values))) for e in examples]
    total = 4 * len(examples)
    done = [0]
    lock = threading.Lock()
    answers: list[dict[str, str]] = [{} for _ in examples]
    verdicts: list[dict[str, Future[SlotVerdict]]] = [{} for _ in examples]
    failures: list[BaseException] = []
    finished = threading.Event()
    judged = [0]

    def step_done() -> None:
        with lock:
            done[0] += 1
            now = done[0]
        if on_progress is not None:
            on_progress(now, total)

    with WorkerPool(max_concurrency, name="alignment-compare") as pool:

        def judge_pair(index: int, order: Outcome) -> SlotVerdict:
            first, second = answers[index]["A"], answers[index]["B"]
            if order == "B":
                first, second = second, first
            example = examples[index]
            prompt = judge_prompt(example.values, criteria, first, second, example.ideal)
            verdict = ask_judge(helper, prompt, len(criteria))
            step_done()
            return verdict

        def answer(index: int, side: Outcome) -> None:
            version = a if side == "A" else b
            prompt = inputs[index][0] if side == "A" else inputs[index][1]
            text = cached_answer(
                version.prompt_model, prompt, RUN_TEMPERATURE, store, gate, "answers"
            )
            step_done()
            with lock:
                answers[index][side] = text
                ready = len(answers[index]) == 2
            if ready:
                for order in ("A", "B"):
                    future = pool.submit(
                        functools.partial(judge_pair, index, order), _JUDGE_PRIORITY
                    )
                    verdicts[index][order] = future
                    future.add_done_callback(functools.partial(settled, True))

        def settled(is_verdict: bool, future: Future[object]) -> None:
            error = None if future.cancelled() else future.exception()
            with lock:
                if error is not None:
                    failures.append(error)
                    finished.set()
                elif is_verdict:
                    judged[0] += 1
                    if judged[0] == 2 * len(examples):
                        finished.set()

        for index in range(len(examples)):
            for side in ("A", "B"):
                task = functools.partial(answer, index, side)
                pool.submit(task, _ANSWER_PRIORITY).add_done_callback(
                    functools.partial(settled, False)
                )
        if examples:
            finished.wait()
        if failures:
            pool.cancel_pending()
            raise failures[0]

    results = []
    for index, example in enumerate(examples):
        first = _in_ab_terms(verdicts[index]["A"].result(), "A", criteria)
        second = _in_ab_terms(verdicts[index]["B"].result(), "B", criteria)
        results.append(
            ExampleComparison(example, answers[index]["A"], answers[index]["B"], first, second)
        )
    return ComparisonResult(results, criteria, gate.counts)


def compare_templates(
    a: str,
    b: str,
    examples: Sequence[Example],
    model: ModelHelper,
    judge: ModelHelper | None = None,
    *,
    principles: Sequence[str] = (),
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    cache: ResponseCache | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Progress | None = None,
) -> ComparisonResult:
    """``compare_versions`` for two template strings run by ``model`` (judged by ``judge``,
    default ``model``) against ``principles``."""

    def version(template: str) -> AlignableSingleRun:
        data = ConstitutionalPrompt(preamble=template, original_preamble=template)
        return AlignableSingleRun(model, judge or model, data=data)

    return compare_versions(
        version(a),
        version(b),
        examples,
        judge or model,
        principles=list(principles),
        max_concurrency=max_concurrency,
        cache=cache,
        should_stop=should_stop,
        on_progress=on_progress,
    )
