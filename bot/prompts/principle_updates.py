"""One piece of feedback becomes one principle change, committed by compare-and-set.

The alignment model decides the change against the principles as they are when it is asked. The
decision is committed only if the prompt is still at that version. If someone else's change
landed first, the decided change is replayed on the fresh list when it still makes sense there
(an add goes to the end, an edit or delete follows its principle's text), which costs no model
call; only when it does not (its principle was reworded or removed) is the model asked again, a
few times at most. A change is never applied at an index computed from a list that has since
moved, and any number of people giving feedback at once all land, in some order.
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

# Lost races replayed without a model call; past this many the person is asked to retry.
MAX_ATTEMPTS = 40
# Model decisions per piece of feedback: a fresh one only when a replay no longer applies.
MAX_DECISIONS = 10
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
    seen_version: int,
    change: PrincipleChange,
    source: FeedbackSource,
    attempt: int,
    landed: list[PrincipleChange],
) -> Callable[[PromptVersion], NextVersion]:
    """Writes ``change`` as the next version: on the version it was decided on as it is, on a
    later one replayed there (``StaleVersionError`` when it no longer applies). ``landed`` gets
    the change as written."""

    def build(latest: PromptVersion) -> NextVersion:
        prompt = latest.prompt
        if latest.version != seen_version:
            replayed = change.replayed_on(prompt.principles)
            if replayed is None:
                raise StaleVersionError
            return _next(replayed, latest, source, attempt, landed, replayed=True)
        return _next(change, latest, source, attempt, landed, replayed=False)

    return build


def _next(
    change: PrincipleChange,
    latest: PromptVersion,
    source: FeedbackSource,
    attempt: int,
    landed: list[PrincipleChange],
    replayed: bool,
) -> NextVersion:
    landed[:] = [change]
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
        # How many model decisions it took, and whether it landed on a list that had moved
        # since the last one (replayed there instead of asking the model again).
        extra={"attempts": attempt, "replayed": replayed},
    )
    return NextVersion(updated, note)


def change_from_feedback(
    client: redis.Redis, workspace: Workspace, name: str, source: FeedbackSource, decide: Decide
) -> FeedbackOutcome:
    """Ask ``decide`` for the change against the current principles and commit it atomically."""
    decisions = 0
    decided: tuple[int, ChangeDecision] | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if decided is None:
            if decisions == MAX_DECISIONS:
                break
            seen = read_current(client, workspace, name)
            decided = (seen.version, decide(list(seen.prompt.principles)))
            decisions += 1
        seen_version, decision = decided
        if decision.change is None:
            return FeedbackOutcome(None, None, decision.reason, attempt)

        landed: list[PrincipleChange] = []
        build = _builder(seen_version, decision.change, source, attempt, landed)
        try:
            record, note = append_version(client, workspace, name, source.user, build)
        except StaleVersionError:
            # Raised by the builder only when the change no longer applies: decide again.
            log.debug("feedback on %s no longer applies after attempt %d", name, attempt)
            decided = None
            _backoff(attempt)
            continue
        return FeedbackOutcome(record, landed[0], decision.reason, attempt, note)
    raise TooBusyError(
        f"`{name}` changed {MAX_ATTEMPTS} times while this feedback was being worked in; "
        "nothing was changed by it. Give it again in a moment."
    )
