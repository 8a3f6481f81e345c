"""One piece of feedback becomes one principle change, committed by compare-and-set.

The alignment model decides the change against the principles as they are when it is asked. The
decision is committed only if the prompt is still at that version; if someone else's change
landed first, the decision is thrown away and asked for again against the fresh list. A change
is therefore never applied at an index computed from a list that has since moved, and any number
of people giving feedback at once all land, in some order, each on the list its change was made
for.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

from alignment.single_run import ChangeDecision, ConstitutionalPrompt, PrincipleChange
from bot.keys import Workspace
from bot.prompts.store import PromptVersion
from bot.prompts.version_log import (
    NextVersion,
    StaleVersionError,
    VersionNote,
    append_version,
    read_current,
)

log = logging.getLogger(__name__)

# Each attempt is one model call; past this many lost races the person is asked to retry.
MAX_ATTEMPTS = 40
# Losers of a race wait a little (randomised) so they do not collide again in lockstep.
BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.5

Decide = Callable[[Sequence[str]], ChangeDecision]


class TooBusyError(Exception):
    """The prompt kept changing under this feedback; nothing was changed by it."""


@dataclass(frozen=True)
class FeedbackSource:
    """Who gave which feedback about which answer (run, candidate, the version it ran on)."""

    user: str
    kind: str
    text: str
    run_id: str
    candidate: int
    run_version: int


@dataclass(frozen=True)
class FeedbackOutcome:
    """The version written (None when the model chose no change), the change, and why."""

    version: PromptVersion | None
    change: PrincipleChange | None
    reason: str
    attempts: int
    note: VersionNote | None = None


def describe_change(change: PrincipleChange) -> str:
    """A one-line summary, numbered from 1 like the lists people see."""
    number = change.index + 1
    if change.kind == "add":
        return f"added principle {number}: {change.new_text}"
    if change.kind == "edit":
        return f"edited principle {number}: {change.old_text} -> {change.new_text}"
    return f"deleted principle {number}: {change.old_text}"


def _backoff(attempt: int) -> None:
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
    time.sleep(random.uniform(0, ceiling))


def _builder(
    seen_version: int, change: PrincipleChange, source: FeedbackSource, attempt: int
) -> Callable[[PromptVersion], NextVersion]:
    """Writes ``change`` as the next version, only on top of the version it was decided on."""

    def build(latest: PromptVersion) -> NextVersion:
        if latest.version != seen_version:
            raise StaleVersionError
        prompt = latest.prompt
        updated = ConstitutionalPrompt(
            preamble=prompt.preamble,
            original_preamble=prompt.original_preamble,
            principles=change.apply(prompt.principles),
        )
        note = VersionNote(
            version=0,
            action="feedback",
            user=source.user,
            at="",
            summary=f"{describe_change(change)} (from {source.kind})",
            change=change.to_dict(),
            feedback_kind=source.kind,
            feedback=source.text,
            run_id=source.run_id,
            candidate=source.candidate,
            run_version=source.run_version,
            # How many decisions it took: more than one means the list moved and it was redone.
            extra={"attempts": attempt},
        )
        return NextVersion(updated, note)

    return build


def change_from_feedback(
    client: redis.Redis, workspace: Workspace, name: str, source: FeedbackSource, decide: Decide
) -> FeedbackOutcome:
    """Ask ``decide`` for the change against the current principles and commit it atomically."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        seen = read_current(client, workspace, name)
        decision = decide(list(seen.prompt.principles))
        change = decision.change
        if change is None:
            return FeedbackOutcome(None, None, decision.reason, attempt)

        build = _builder(seen.version, change, source, attempt)
        try:
            record, note = append_version(client, workspace, name, source.user, build)
        except StaleVersionError:
            log.debug("principles of %s moved on during attempt %d; deciding again", name, attempt)
            _backoff(attempt)
            continue
        return FeedbackOutcome(record, change, decision.reason, attempt, note)
    raise TooBusyError(
        f"`{name}` changed {MAX_ATTEMPTS} times while this feedback was being worked in; "
        "nothing was changed by it. Give it again in a moment."
    )
