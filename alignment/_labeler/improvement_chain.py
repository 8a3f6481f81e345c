"""From one wrong prediction to scored candidate checkpoints: the training model's rule changes.

For each mistake: ask why the rules got it wrong (feedback), then choose up to ``n_mutations``
distinct changes one after another (each choice excludes the earlier ones), and write and score
each chosen change while the next one is being chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from alignment._labeler.candidate_scoring import CandidateClaims, CandidateScorer, ScoredCheckpoint
from alignment._labeler.examples import Example
from alignment._labeler.model_calls import CallSession, ModelCaller, ModelRequest
from alignment._labeler.mutations import (
    MutationOption,
    apply_mutation,
    clean_rule_text,
    mutation_options,
    parse_choice,
    rule_id_for,
)
from alignment._labeler.progress import PhaseProgress
from alignment._labeler.prompts import (
    WrongPrediction,
    add_rule_prompt,
    choice_prompt,
    edit_rule_prompt,
    feedback_prompt,
)
from alignment._labeler.racing import Race
from alignment._labeler.step_settings import (
    CHOICE_MAX_OUTPUT_TOKENS,
    PRIORITY_CHAIN,
    TRAIN_MAX_OUTPUT_TOKENS,
    TRAIN_STOP_SEQUENCES,
    TRAIN_TEMPERATURE,
    StepSettings,
)
from alignment._labeler.step_threads import ChainThreads
from alignment._labeler.types import LabelerCheckpoint

Candidates = list[Future[ScoredCheckpoint | None]]


class ImprovementChains:
    """Turns the mistakes of one step into scored candidates; shared by all of its chains."""

    def __init__(
        self,
        settings: StepSettings,
        session: CallSession,
        caller: ModelCaller,
        threads: ChainThreads,
        scorer: CandidateScorer,
        claims: CandidateClaims,
        step: int,
        improve_progress: PhaseProgress,
        score_progress: PhaseProgress,
        debug: Callable[[str], None],
        race: Race | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.caller = caller
        self.threads = threads
        self.scorer = scorer
        self.claims = claims
        self.step = step
        self.improve_progress = improve_progress
        self.score_progress = score_progress
        self.debug = debug
        # With a race, a candidate only enters it here; the step runs the race once every
        # chain has ended, whether it produced candidates or gave up.
        self.race = race

    def start(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        index: int,
        validation: list[Example],
    ) -> Future[Candidates]:
        """Start the chain of the ``index``-th mistake on a chain thread."""
        return self.threads.spawn(self._chain, checkpoint, wrong, index, validation)

    def _train_call(self, prompt: str, purpose: str, max_tokens: int) -> str:
        request = ModelRequest(prompt, TRAIN_TEMPERATURE, TRAIN_STOP_SEQUENCES, max_tokens)
        return self.session.call(self.settings.train_helper, request, purpose, PRIORITY_CHAIN)

    def _chain(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        index: int,
        validation: list[Example],
    ) -> Candidates:
        """Feedback, then up to ``n_mutations`` distinct choices, each realised in parallel."""
        task = self.settings.task
        where = f"row {wrong.example.position} (step {self.step})"
        feedback = self._train_call(
            feedback_prompt(task, checkpoint, wrong),
            f"asking the training model why it mislabelled {where}",
            TRAIN_MAX_OUTPUT_TOKENS,
        )
        remaining = mutation_options(checkpoint, task.labels.values)
        realised: Candidates = []
        for slot in range(self.settings.n_mutations):
            if not remaining:
                break
            option = self._choose(checkpoint, wrong, feedback, remaining, where)
            if option is None:
                # Asking once more would repeat the question just asked (and cached): stop here.
                self.caller.count(unparseable_choices=1)
                self.debug(f"no readable mutation choice for {where}; skipped")
                break
            remaining = [other for other in remaining if other != option]
            realised.append(
                self.threads.spawn(
                    self._realise, checkpoint, wrong, feedback, option, (index, slot), validation
                )
            )
        self.improve_progress.advance()
        return realised

    def _choose(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        feedback: str,
        options: list[MutationOption],
        where: str,
    ) -> MutationOption | None:
        """The training model's pick among ``options``; an unreadable answer is asked once more."""
        task = self.settings.task
        rejected: str | None = None
        for attempt in (1, 2):
            answer = self._train_call(
                choice_prompt(task, checkpoint, wrong, feedback, options, rejected),
                f"asking the training model to choose a rule change for {where}"
                + (" (asking again)" if attempt == 2 else ""),
                CHOICE_MAX_OUTPUT_TOKENS,
            )
            option = parse_choice(answer, options)
            if option is not None:
                return option
            rejected = answer
        return None

    def _realise(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        feedback: str,
        option: MutationOption,
        order: tuple[int, ...],
        validation: list[Example],
    ) -> ScoredCheckpoint | None:
        """Write the chosen change's rule text, build the candidate, and score it."""
        text: str | None = None
        if option.action != "DELETE":
            text = self._write_rule(checkpoint, wrong, feedback, option)
            if not text:
                self.caller.count(empty_rule_answers=1)
                return None
        candidate, change = apply_mutation(checkpoint, option, text)
        if not self.claims.claim(candidate, checkpoint, order):
            self.caller.count(duplicate_mutations=1)
            self.debug(f"skipped a change already tried: {change}")
            return None
        self.score_progress.add_to_total(1)
        self.caller.count(candidates_scored=1)
        if self.race is not None:
            self.race.enter(candidate, change, order)
            self.score_progress.advance()
            return None
        scored = self.scorer.score(candidate, validation, change, order)
        self.score_progress.advance()
        self.debug(f"candidate scores {scored.score:.3f}: {change}")
        return scored

    def _write_rule(
        self,
        checkpoint: LabelerCheckpoint,
        wrong: WrongPrediction,
        feedback: str,
        option: MutationOption,
    ) -> str:
        """The text of the rule an ADD or EDIT option asks for (empty when the model gave none)."""
        task = self.settings.task
        if option.action == "ADD":
            rule_id = rule_id_for(checkpoint.free_rule_number())
            label_text = task.labels.texts[task.labels.index_of(option.label) or 0]
            prompt = add_rule_prompt(task, checkpoint, wrong, feedback, label_text, rule_id)
        else:
            rule = checkpoint.rule(option.rule_id or "")
            if rule is None:
                raise ValueError(f"mutation option refers to unknown rule {option.rule_id}")
            rule_id = rule["id"]
            prompt = edit_rule_prompt(task, checkpoint, wrong, feedback, rule)
        answer = self._train_call(
            prompt,
            f"asking the training model to write rule {rule_id} for row "
            f"{wrong.example.position} (step {self.step})",
            TRAIN_MAX_OUTPUT_TOKENS,
        )
        return clean_rule_text(answer, rule_id)
