"""A run's answers streamed into its thread as the model writes them.

The candidates are written side by side (``AlignableSingleRun.stream_input``) and shown one
after another, each in its own message (``bot.slack.live_answer``): by the time the first is
finished, most of the next has already arrived. A finished answer is replaced by its final form,
the same as an answer posted whole: Markdown blocks split under Slack's limits, with the run's
metadata on every part, so reactions and replies find the run.

When an answer fails part-way (the model stopped, or Slack refused a message), what arrived stays
in the thread marked as failed, the answers already shown are marked too, and nothing is saved:
:class:`AnswerStreamFailed` tells the caller, who says so on the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from alignment.errors import AlignmentError
from alignment.single_run import AnswerStream
from bot.prompts import views
from bot.prompts.runs import AnswerMessage, answer_metadata
from bot.slack.blocks import Message
from bot.slack.failure_text import failure_reason
from bot.slack.live_answer import LiveAnswer
from bot.slack.origin import Origin, slack_error_code

log = logging.getLogger(__name__)


class AnswerStreamFailed(Exception):
    """An answer could not be finished; the thread already shows which and why."""

    def __init__(self, reason: str, model_failed: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.model_failed = model_failed


class _Thread:
    """The messages of one run's answers, as they are shown and finished."""

    def __init__(self, origin: Origin, thread_ts: str, run_id: str, candidates: int) -> None:
        self.origin, self.thread_ts, self.run_id = origin, thread_ts, run_id
        self.candidates = candidates
        self.answers: list[str] = []
        self.posted: list[AnswerMessage] = []

    def finish(self, candidate: int, answer: str, ts: str | None, placeholder: str | None) -> None:
        """Give a finished answer its final form: its first part in the message that showed
        it (or the placeholder, or a new message), the other parts as replies after it."""
        client, channel = self.origin.client, self.origin.channel
        metadata = answer_metadata(self.run_id, candidate)
        parts = views.answer_messages(answer, candidate, self.candidates)
        for part, message in enumerate(parts):
            shown_in = (ts or placeholder) if part == 0 else None
            if shown_in is not None:
                ts = shown_in
                client.chat_update(channel=channel, ts=ts, metadata=metadata, **message.as_kwargs())
            else:
                response = client.chat_postMessage(
                    channel=channel,
                    thread_ts=self.thread_ts,
                    metadata=metadata,
                    **message.as_kwargs(),
                )
                ts = str(response["ts"])
            assert ts is not None
            self.posted.append(AnswerMessage(ts=ts, candidate=candidate, part=part))
        self.answers.append(answer)

    def mark_failed(self, live: LiveAnswer, candidate: int, reason: str) -> None:
        """Keep what arrived of the failed answer, marked; mark the answers before it too."""
        shown: str | None = None
        try:
            shown = live.finish()
        except SlackApiError as error:
            log.warning("could not end the failed answer's stream: %s", slack_error_code(error))
        stopped = f"This answer stopped part-way: {reason}"
        if shown is not None:
            partial = views.answer_messages(live.text, candidate, self.candidates)[0]
            self._update(shown, views.with_failure_note(partial, stopped))
        elif live.placeholder_left:
            assert live.placeholder_ts is not None
            self._update(live.placeholder_ts, views.run_failed_placeholder(reason))
        else:
            self._post(views.run_failed_placeholder(reason))
        sibling = f"Candidate {candidate + 1} failed, so this run was not saved."
        for message in self.posted:
            answer = views.answer_messages(
                self.answers[message.candidate], message.candidate, self.candidates
            )[message.part]
            self._update(message.ts, views.with_failure_note(answer, sibling))

    def _update(self, ts: str, message: Message) -> None:
        try:
            self.origin.client.chat_update(
                channel=self.origin.channel, ts=ts, **message.as_kwargs()
            )
        except SlackApiError as error:
            log.warning("could not mark an answer as failed: %s", slack_error_code(error))

    def _post(self, message: Message) -> None:
        try:
            self.origin.client.chat_postMessage(
                channel=self.origin.channel, thread_ts=self.thread_ts, **message.as_kwargs()
            )
        except SlackApiError as error:
            log.warning("could not say that an answer failed: %s", slack_error_code(error))


def _writing(candidate: int, candidates: int) -> Callable[[str], Message]:
    def render(text: str) -> Message:
        return views.answer_writing(text, candidate, candidates)

    return render


def post_streamed_answers(
    origin: Origin,
    thread_ts: str,
    placeholder_ts: str,
    run_id: str,
    streams: list[AnswerStream],
) -> tuple[list[str], list[AnswerMessage]]:
    """Show each stream's answer as it arrives, then in its final form; the answers and the
    messages that show them. Raises :class:`AnswerStreamFailed` (the thread says so)."""
    thread = _Thread(origin, thread_ts, run_id, len(streams))
    placeholder: str | None = placeholder_ts
    try:
        for candidate, stream in enumerate(streams):
            live = LiveAnswer(
                origin.client,
                origin.channel,
                thread_ts,
                (origin.user, origin.workspace.team_id),
                render=_writing(candidate, len(streams)),
                placeholder_ts=placeholder,
            )
            try:
                for piece in stream:
                    live.add(piece)
                shown = live.finish(answer_metadata(run_id, candidate))
                thread.finish(candidate, stream.text, shown, live.placeholder_ts)
            except (AlignmentError, SlackApiError) as error:
                if candidate == 0 and not live.text and live.placeholder_left:
                    raise  # nothing arrived: the run failed as a whole, as without streaming
                if isinstance(error, SlackApiError):
                    reason = f"Slack refused the answer ({slack_error_code(error)})"
                    model_failed = False
                else:
                    reason, model_failed = failure_reason(error), True
                log.warning("answer %d failed part-way: %s", candidate, reason)
                thread.mark_failed(live, candidate, reason)
                raise AnswerStreamFailed(reason, model_failed) from error
            # The first answer took the placeholder's place; later ones get messages of their own.
            placeholder = None
    finally:
        for stream in streams:
            stream.close()
    return thread.answers, thread.posted
