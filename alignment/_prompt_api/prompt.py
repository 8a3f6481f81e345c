"""What the prompt API hands out: one version of a prompt, ready to fill in or to align further.

A ``ServedPrompt`` is immutable, so one object can be shared by every thread that asked for it
(the client's cache returns the same object until the server says something changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from alignment._prompting.template import render_template, template_variables
from alignment._single_run.types import ConstitutionalPrompt
from alignment.errors import ModelConfigError, UnexpectedVariableError

if TYPE_CHECKING:
    from alignment._providers.base import ModelHelper
    from alignment.single_run import AlignableSingleRun


@dataclass(frozen=True)
class ModelSettings:
    """The model settings a version carries; ``None`` where the version leaves one unset (the
    application's own default applies there)."""

    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class ServedPrompt:
    """One version of a prompt, as the prompt API served it (or a caller's fallback template).

    ``labels`` are the labels on this version (``production``, ``staging``...). ``template``
    holds ``{variable}`` placeholders, listed in ``variables``. ``is_fallback`` is true for the
    fallback template a caller passed to ``PromptClient.get``, used when the server was
    unreachable and no copy had been fetched yet; such a prompt has ``version`` 0, no labels,
    no principles, default model settings and no ``updated_at``.
    """

    name: str
    version: int
    template: str
    labels: tuple[str, ...] = ()
    principles: tuple[str, ...] = ()
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    updated_at: datetime | None = None
    is_fallback: bool = False

    @property
    def variables(self) -> list[str]:
        """The template's placeholder names, each once, in order of first appearance."""
        return template_variables(self.template)

    def format(self, /, **values: object) -> str:
        """The template with every variable filled in: ``prompt.format(item="scissors")``.

        Values are inserted as they are: braces inside a value are never read as placeholders.
        Raises ``MissingVariableError`` when a variable has no value, and
        ``UnexpectedVariableError`` for a value the template has no variable for (usually a
        misspelt name), rather than sending a half-filled prompt to a model.
        """
        expected = self.variables
        unexpected = sorted(set(values) - set(expected))
        if unexpected:
            raise UnexpectedVariableError(unexpected, expected)
        return render_template(self.template, values)

    def to_constitutional_prompt(self) -> ConstitutionalPrompt:
        """The seed's ``ConstitutionalPrompt`` for this version: its template and principles.

        The template is both the running and the original description: the server sends the
        text that runs, with any applied principles already folded in.
        """
        return ConstitutionalPrompt(
            preamble=self.template,
            original_preamble=self.template,
            principles=list(self.principles),
        )

    def to_single_run(
        self,
        prompt_model: ModelHelper | None = None,
        alignment_model: ModelHelper | None = None,
    ) -> AlignableSingleRun:
        """An ``AlignableSingleRun`` holding this version's template and principles.

        With no ``prompt_model``, the model this version's settings name (``openai:llama3.1``)
        is built with ``model_from_spec``, reading its key from the environment; a version that
        names no model then raises ``ModelConfigError``.
        """
        # Imported here: single_run and the providers pull in the model clients, which an
        # application that only formats prompts never needs to load.
        from alignment._providers.registry import model_from_spec
        from alignment.single_run import AlignableSingleRun

        if prompt_model is None:
            spec = self.model_settings.model
            if spec is None:
                raise ModelConfigError(
                    f"prompt {self.name!r} version {self.version} names no model: pass "
                    "prompt_model=, or set one in Slack with /align config NAME model=..."
                )
            prompt_model = model_from_spec(spec)
        return AlignableSingleRun(
            prompt_model, alignment_model, data=self.to_constitutional_prompt()
        )


@dataclass(frozen=True)
class PromptSummary:
    """One entry of ``PromptClient.list()``: a prompt's current version and where its labels are
    (``{"production": 3, "staging": 4}``)."""

    name: str
    version: int
    labels: dict[str, int]
    updated_at: datetime
