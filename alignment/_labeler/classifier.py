"""Classifying one example with a checkpoint's rules: the request, and reading the answer."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from alignment._labeler.examples import Example
from alignment._labeler.model_calls import CallSession, ModelRequest
from alignment._labeler.prompts import TaskSpec, classification_prompt
from alignment._labeler.types import EMPTY_PREDICTION, LabelerCheckpoint, PredictionResult
from alignment._providers.base import ModelHelper

# The label is the first line of the answer; stopping there saves tokens and keeps multi-word
# labels ("not hate") whole, which stopping at a space would not.
CLASSIFY_STOP_SEQUENCES = ("\n",)


@dataclass(frozen=True)
class Classifier:
    task: TaskSpec
    helper: ModelHelper
    temperature: float
    max_output_tokens: int | None
    label_order_seed: int

    def request(self, checkpoint: LabelerCheckpoint, example: Example) -> ModelRequest:
        return ModelRequest(
            classification_prompt(self.task, checkpoint, example, self.label_order_seed),
            self.temperature,
            CLASSIFY_STOP_SEQUENCES,
            self.max_output_tokens,
        )

    def interpret(self, request: ModelRequest, answer: str) -> PredictionResult:
        position = self.task.labels.parse_answer(answer, prefixes=(self.task.label_name,))
        return PredictionResult(
            request=request.prompt,
            raw_prediction=answer,
            prediction=EMPTY_PREDICTION if position is None else self.task.labels.values[position],
        )

    def submit(
        self,
        session: CallSession,
        checkpoint: LabelerCheckpoint,
        example: Example,
        purpose: str,
        priority: int,
        keep_request: bool = True,
        expert: int | None = None,
    ) -> Future[PredictionResult]:
        """Queue the classification; the prompt is built only when a call slot takes it up.

        Without ``keep_request`` the result's ``request`` is left empty: training scores
        thousands of predictions and needs none of their prompts afterwards. ``expert`` marks
        the result with the expert of a mixture that ``checkpoint`` is.
        """

        def classify() -> PredictionResult:
            request = self.request(checkpoint, example)
            result = self.interpret(request, session.caller.call(self.helper, request, purpose))
            if not keep_request:
                result["request"] = ""
            if expert is not None:
                result["expert"] = expert
            return result

        return session.run(classify, priority)

    def is_correct(self, example: Example, prediction: PredictionResult) -> bool:
        truth = self.task.labels.index_of(example.label)
        return truth is not None and truth == self.task.labels.index_of(prediction["prediction"])
