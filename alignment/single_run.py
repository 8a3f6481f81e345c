"""Single-run prompts: run a template, turn feedback on its answers into principles, apply them.

The public names match upstream model-alignment's ``single_run`` module, so a notebook written for
it runs with only the import changed. Differences, all deliberate:

- Variables are filled by a safe formatter (``alignment._prompting.template``); a bare string
  fills a template with exactly one variable, or is appended to a template with none.
- Runs use ``preamble`` only. Principles change what runs when they are applied with
  ``update_model_description_from_principles``: ``preamble`` becomes ``original_preamble`` (the
  description people wrote) rewritten to follow all of them, in one model call, with exactly
  its variables (a rewrite that drops or adds one is retried, then refused).
- ``update_model_description_from_feedback`` edits the description people wrote, and the running
  description too when principles are folded into it, so a later apply keeps the edit.
- Each feedback call records what it changed in ``last_change`` (None when the model chose no
  change, with the reason in ``last_change_reason``); ``decide_change`` / ``propose_change``
  compute the same without touching any state.
- Unusable model answers (unreadable, or naming a principle out of range or no action) are
  asked again once with the problem named, then raise ``AlignmentAnswerError``; either way no
  principle is changed on a guess.
- A conversation holds one answer; with several candidates, the first is committed unless asked
  not to, and committing another candidate replaces it rather than appending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, overload

from alignment._prompting.template import render_template, template_variables
from alignment._providers.base import ModelHelper
from alignment._single_run import principle_proposals
from alignment._single_run.answer_streams import AnswerStream, start_streams
from alignment._single_run.description_rewrite import edit_from_feedback, fold_principles
from alignment._single_run.feedback_classifier import ReplyClassification, classify_reply
from alignment._single_run.feedback_kinds import FEEDBACK_KINDS, FeedbackKind, FeedbackKinds
from alignment._single_run.feedback_suggestions import suggest_feedback
from alignment._single_run.principle_proposals import ChangeDecision, FeedbackTarget
from alignment._single_run.principles import PrincipleChange
from alignment._single_run.types import ConstitutionalPrompt, ConversationTurn
from alignment.errors import (
    AlignmentAnswerError,
    NoResponseError,
    PromptVariablesChangedError,
    TemplateError,
    UnknownFeedbackKindError,
)

__all__ = [
    "FEEDBACK_KINDS",
    "AlignableSingleRun",
    "AlignmentAnswerError",
    "AnswerStream",
    "ChangeDecision",
    "ConstitutionalPrompt",
    "ConversationTurn",
    "FeedbackKind",
    "FeedbackKinds",
    "ModelHelper",
    "NoResponseError",
    "PrincipleChange",
    "PromptVariablesChangedError",
    "ReplyClassification",
    "TemplateError",
    "UnknownFeedbackKindError",
    "classify_reply",
    "template_variables",
]

RUN_TEMPERATURE = 0.5
# Candidates are there to be compared, so they are sampled with more spread.
CANDIDATE_TEMPERATURE = 0.9
DEFAULT_CANDIDATE_COUNT = 3

UserInput = Mapping[str, object] | str | None


def _response_pair(
    conversation: Sequence[ConversationTurn], turn: ConversationTurn | None
) -> tuple[ConversationTurn, ConversationTurn]:
    """The user turn of ``conversation`` and the answer to judge (``turn`` when given)."""
    user = next((t for t in conversation if t.is_user), None)
    if user is None:
        raise NoResponseError("the conversation has no user turn: run the prompt first")
    if turn is not None:
        if turn.is_user:
            raise ValueError("turn must be a model answer, not the user turn")
        return user, turn
    answer = next((t for t in reversed(conversation) if not t.is_user), None)
    if answer is None:
        raise NoResponseError(
            "the conversation has no committed answer: commit one with commit_model_response, "
            "or pass the candidate as turn="
        )
    return user, answer


class AlignableSingleRun:
    """A prompt template, its principles, and the conversations it has had."""

    def __init__(
        self,
        prompt_model: ModelHelper,
        alignment_model: ModelHelper | None = None,
        data: ConstitutionalPrompt | None = None,
    ) -> None:
        self.prompt_model = prompt_model
        self.alignment_model = alignment_model or prompt_model
        self.data = data if data is not None else ConstitutionalPrompt()
        self.current_convo_idx = max(len(self.data.conversations) - 1, 0)
        self.last_change: PrincipleChange | None = None
        self.last_change_reason: str | None = None

    # The description ----------------------------------------------------------------------

    def set_model_description(self, desc: str) -> None:
        """Set the template to align; ``{name}`` placeholders are filled on each run."""
        template_variables(desc)  # refuse a broken template now, not on the first run
        self.data.preamble = desc
        self.data.original_preamble = desc

    def get_model_description(self) -> str:
        return self.data.preamble

    def get_model_description_with_principles(self) -> str:
        return " ".join([self.data.preamble, *self.data.principles])

    def _base_description(self) -> str:
        # Data made by hand (or by older code) may set only ``preamble``.
        return self.data.original_preamble or self.data.preamble

    def update_model_description_from_principles(self) -> str:
        """Fold every principle into the original description; returns the new description."""
        base = self._base_description()
        principles = list(self.data.principles)
        new = fold_principles(self.alignment_model, base, principles) if principles else base
        self.data.original_preamble = base
        self.data.preamble = new
        return new

    def update_model_description_from_feedback(self, feedback: str) -> str:
        """Edit the description as ``feedback`` asks; returns the description that now runs."""
        base = self._base_description()
        running = self.data.preamble
        new_base = edit_from_feedback(self.alignment_model, base, feedback)
        # The running description carries folded principles; edit it too rather than
        # re-folding, so the edit shows at once and nothing else moves.
        new_running = (
            edit_from_feedback(self.alignment_model, running, feedback)
            if running != base
            else new_base
        )
        self.data.original_preamble = new_base
        self.data.preamble = new_running
        return new_running

    # Running the prompt ---------------------------------------------------------------------

    def render_input(self, user_input: UserInput = None) -> ConversationTurn:
        """The user turn for ``user_input``: the description with its variables filled in."""
        template = self.data.preamble
        names = template_variables(template)
        if isinstance(user_input, str):
            if len(names) == 1:
                values: dict[str, str] = {names[0]: user_input}
            elif not names:
                text = f"{template}\n\n{user_input}" if template.strip() else user_input
                return ConversationTurn(text=text, is_user=True)
            else:
                raise TemplateError(
                    f"a single string can only fill a template with one variable; this one has "
                    f"{', '.join(names)}: pass a dict such as {{{names[0]!r}: ...}}"
                )
        else:
            values = {str(k): str(v) for k, v in (user_input or {}).items()}
        return ConversationTurn(text=render_template(template, values), is_user=True, vars=values)

    def _one_answer(self, prompt: str, temperature: float) -> str:
        answer = self.prompt_model.predict(prompt=prompt, temperature=temperature)
        if isinstance(answer, list):
            if not answer:
                raise ValueError("the prompt model returned no answer")
            return answer[0]
        return answer

    def _answers(self, prompt: str, count: int) -> list[str]:
        if count == 1:
            return [self._one_answer(prompt, RUN_TEMPERATURE)]
        answer = self.prompt_model.predict(
            prompt=prompt, temperature=CANDIDATE_TEMPERATURE, candidate_count=count
        )
        texts = [answer] if isinstance(answer, str) else list(answer)
        # Helpers that ignore candidate_count return one answer; ask for the rest side by side.
        shortfall = count - len(texts)
        if shortfall > 0:
            with ThreadPoolExecutor(max_workers=shortfall) as pool:
                prompts = [prompt] * shortfall
                texts += pool.map(self._one_answer, prompts, [CANDIDATE_TEMPERATURE] * shortfall)
        return texts[:count]

    # The overloads let a type checker see that one answer comes back unless candidates are
    # asked for, so ``send_input(...).text`` checks as it runs.
    @overload
    def send_input(
        self,
        user_input: UserInput = None,
        generate_multiple_candidates: Literal[False] = False,
        commit_model_response: bool = True,
        *,
        candidate_count: int = DEFAULT_CANDIDATE_COUNT,
    ) -> ConversationTurn: ...

    @overload
    def send_input(
        self,
        user_input: UserInput,
        generate_multiple_candidates: Literal[True],
        commit_model_response: bool = True,
        *,
        candidate_count: int = DEFAULT_CANDIDATE_COUNT,
    ) -> list[ConversationTurn]: ...

    @overload
    def send_input(
        self,
        user_input: UserInput = None,
        *,
        generate_multiple_candidates: Literal[True],
        commit_model_response: bool = True,
        candidate_count: int = DEFAULT_CANDIDATE_COUNT,
    ) -> list[ConversationTurn]: ...

    @overload
    def send_input(
        self,
        user_input: UserInput = None,
        generate_multiple_candidates: bool = False,
        commit_model_response: bool = True,
        *,
        candidate_count: int = DEFAULT_CANDIDATE_COUNT,
    ) -> ConversationTurn | list[ConversationTurn]: ...

    def send_input(
        self,
        user_input: UserInput = None,
        generate_multiple_candidates: bool = False,
        commit_model_response: bool = True,
        *,
        candidate_count: int = DEFAULT_CANDIDATE_COUNT,
    ) -> ConversationTurn | list[ConversationTurn]:
        """Run the prompt on ``user_input`` (a dict of variables, or one string).

        Returns the answer, or ``candidate_count`` candidate answers when
        ``generate_multiple_candidates``. With ``commit_model_response`` the (first) answer is
        stored in the new conversation; otherwise commit the one a person picks with
        ``commit_model_response(turn)``. Nothing is stored if the model call fails.
        """
        if generate_multiple_candidates and candidate_count < 1:
            raise ValueError(f"candidate_count must be at least 1, got {candidate_count}")
        user_turn = self.render_input(user_input)
        count = candidate_count if generate_multiple_candidates else 1
        turns = [ConversationTurn(text=text) for text in self._answers(user_turn.text, count)]
        self.data.conversations.append([user_turn])
        self.current_convo_idx = len(self.data.conversations) - 1
        if commit_model_response:
            self.commit_model_response(turns[0])
        return turns if generate_multiple_candidates else turns[0]

    def stream_input(
        self, user_input: UserInput = None, candidate_count: int = 1
    ) -> list[AnswerStream]:
        """Start ``candidate_count`` answers to ``user_input``, streamed as the model writes.

        The streaming counterpart of ``send_input``: the answers are written side by side from
        the moment this returns, and each ``AnswerStream`` yields its pieces of text, in any
        order the caller reads them. Nothing is stored in a conversation. With a helper that
        cannot stream, each stream holds the whole answer in one piece.
        """
        if candidate_count < 1:
            raise ValueError(f"candidate_count must be at least 1, got {candidate_count}")
        prompt = self.render_input(user_input).text
        temperature = RUN_TEMPERATURE if candidate_count == 1 else CANDIDATE_TEMPERATURE
        return start_streams(self.prompt_model, prompt, temperature, candidate_count)

    def commit_model_response(
        self, turn: ConversationTurn, conversation_index: int | None = None
    ) -> None:
        """Make ``turn`` the answer of a conversation (the current one by default).

        A conversation holds one answer, so this replaces any answer committed before.
        """
        if not isinstance(turn, ConversationTurn):
            raise TypeError(f"commit one ConversationTurn (one candidate), got {type(turn)!r}")
        if turn.is_user:
            raise ValueError("only a model answer can be committed, not a user turn")
        conversation = self._conversation(conversation_index)
        conversation[:] = [t for t in conversation if t.is_user] + [turn]

    def _conversation(self, conversation_index: int | None) -> list[ConversationTurn]:
        conversations = self.data.conversations
        if not conversations:
            raise NoResponseError("there is no conversation yet: run the prompt with send_input")
        index = self.current_convo_idx if conversation_index is None else conversation_index
        if not -len(conversations) <= index < len(conversations):
            raise IndexError(f"conversation {index} does not exist: there are {len(conversations)}")
        return conversations[index]

    def get_input_output_pair(self) -> list[ConversationTurn]:
        return self._conversation(None)

    def set_input_output_pair(self, io_pair: Sequence[ConversationTurn]) -> None:
        self._conversation(None)[:] = list(io_pair)

    # Feedback into principles ----------------------------------------------------------------

    def _target(
        self,
        conversation: Sequence[ConversationTurn] | None,
        turn: ConversationTurn | None,
        description: str | None,
    ) -> FeedbackTarget:
        source = self._conversation(None) if conversation is None else conversation
        user, answer = _response_pair(source, turn)
        return FeedbackTarget(
            description=self.data.preamble if description is None else description,
            variables=user.vars,
            sent_prompt=user.text,
            response=answer.text,
        )

    def decide_change(
        self,
        kind: FeedbackKind,
        feedback: str,
        principles: Sequence[str] | None = None,
        conversation: Sequence[ConversationTurn] | None = None,
        *,
        turn: ConversationTurn | None = None,
        description: str | None = None,
    ) -> ChangeDecision:
        """The change ``feedback`` calls for, with the model's reason; changes no state.

        ``principles``, ``conversation`` (user turn, then answer) and ``description`` default to
        this prompt's own; ``turn`` picks a candidate answer that was never committed.
        """
        current = list(self.data.principles if principles is None else principles)
        target = self._target(conversation, turn, description)
        return principle_proposals.decide_change(
            self.alignment_model, kind, feedback, current, target
        )

    def propose_change(
        self,
        kind: FeedbackKind,
        feedback: str,
        principles: Sequence[str] | None = None,
        conversation: Sequence[ConversationTurn] | None = None,
        *,
        turn: ConversationTurn | None = None,
        description: str | None = None,
    ) -> PrincipleChange | None:
        """Like ``decide_change``, but only the change (None when nothing should change)."""
        return self.decide_change(
            kind, feedback, principles, conversation, turn=turn, description=description
        ).change

    def _learn(
        self,
        kind: FeedbackKind,
        feedback: str,
        conversation_index: int | None,
        turn: ConversationTurn | None,
    ) -> list[str]:
        conversation = self._conversation(conversation_index)
        decision = self.decide_change(kind, feedback, conversation=conversation, turn=turn)
        if decision.change is not None:
            self.data.principles = decision.change.apply(self.data.principles)
        self.last_change = decision.change
        self.last_change_reason = decision.reason
        return list(self.data.principles)

    def critique_response(
        self,
        critique: str,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """Learn from what was wrong with an answer; returns the updated principles."""
        return self._learn("critique", critique, conversation_index, turn)

    def kudos_response(
        self,
        kudos: str,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """Learn from what was good about an answer; returns the updated principles."""
        return self._learn("kudos", kudos, conversation_index, turn)

    def rewrite_response(
        self,
        rewrite: str,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """Learn from a person's better version of an answer; returns the updated principles."""
        return self._learn("rewrite", rewrite, conversation_index, turn)

    # Suggested feedback ----------------------------------------------------------------------

    def generate_feedback(
        self,
        kind: FeedbackKind,
        count: int = 3,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """``count`` distinct pieces of ``kind`` feedback a person might give of an answer.

        Raises ``UnknownFeedbackKindError`` for a kind that cannot be suggested (a rewrite).
        """
        target = self._target(self._conversation(conversation_index), turn, None)
        return suggest_feedback(self.alignment_model, kind, target, count)

    def generate_critiques(
        self,
        count: int = 3,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """``count`` distinct critiques a person might give of an answer."""
        return self.generate_feedback(
            "critique", count, conversation_index=conversation_index, turn=turn
        )

    def generate_kudos(
        self,
        count: int = 3,
        *,
        conversation_index: int | None = None,
        turn: ConversationTurn | None = None,
    ) -> list[str]:
        """``count`` distinct kudos a person might give of an answer."""
        return self.generate_feedback(
            "kudos", count, conversation_index=conversation_index, turn=turn
        )
