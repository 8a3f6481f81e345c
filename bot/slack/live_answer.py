"""One answer shown in a Slack thread while the model is still writing it.

Slack's chat streaming methods (``chat.startStream`` / ``appendStream`` / ``stopStream``, through
slack_sdk's ``chat_stream`` helper) grow a message as text arrives. Text is buffered and sent at
most every ``STREAM_APPEND_SECONDS`` (``appendStream`` is a Tier 4 method: about 100 calls a
minute), so however fast a model writes, one answer stays within the limit. Where the workspace
or the method refuses streaming, the answer goes into one ordinary message instead, edited at
most once every ``EDIT_SECONDS`` with the text so far.

Text a model wrote is neutralised (``bot.slack.markdown.neutralise``) before Slack sees it. A
mention or link can only be recognised once the characters after its ``<`` or ``@`` are known,
so only text up to the last whitespace is sent while the answer is still coming: neutralising
such a prefix gives exactly what neutralising the whole answer gives for that part.

The caller replaces the message with its final form when the answer is complete (Markdown block,
split under Slack's limits, metadata); this module only shows the text as it comes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import Message
from bot.slack.markdown import MARKDOWN_MESSAGE_BUDGET, neutralise

log = logging.getLogger(__name__)

STREAM_APPEND_SECONDS = 0.6
EDIT_SECONDS = 1.0


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error", "")) if error.response is not None else ""


def stable_length(text: str) -> int:
    """How much of ``text`` can be shown before more arrives: up to its last whitespace."""
    for position in range(len(text) - 1, -1, -1):
        if text[position].isspace():
            return position + 1
    return 0


class Pace:
    """At most one action every ``interval`` seconds; the first one is never held back."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def due(self) -> bool:
        return self._last is None or self._clock() - self._last >= self.interval

    def mark(self) -> None:
        self._last = self._clock()

    def remaining(self) -> float:
        """Seconds until the next action is due."""
        return 0.0 if self._last is None else self.interval - (self._clock() - self._last)


class LiveAnswer:
    """Shows one answer as it is written: a Slack stream, or edits of one message.

    ``placeholder_ts`` is a "Thinking…" message the answer takes the place of: the edits go into
    it, or, when streaming, it is deleted once the stream shows text. ``render`` turns the text
    so far into the message shown by edits.
    """

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        recipient: tuple[str, str],
        render: Callable[[str], Message],
        placeholder_ts: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.recipient_user, self.recipient_team = recipient
        self.render = render
        self.placeholder_ts = placeholder_ts
        self.clock, self.sleep = clock, sleep
        self.text = ""  # everything the model wrote so far
        self.ts: str | None = None  # the message showing it, once one does
        self.streaming = True  # False once Slack refused the streaming methods
        self._stream: Any = None
        self._shown = 0  # characters of ``text`` already sent to the stream
        self._quiet = False  # the stream stopped taking text; the final form will show it
        self._finished = False
        self._pace = Pace(STREAM_APPEND_SECONDS, clock)

    @property
    def placeholder_left(self) -> bool:
        """Whether the placeholder still stands (neither edited into the answer nor deleted)."""
        return self.placeholder_ts is not None

    def add(self, piece: str) -> None:
        self.text += piece
        if self._pace.due():
            self._show(final=False)

    def finish(self, metadata: dict[str, Any] | None = None) -> str | None:
        """Show the rest and end the stream; the ts of the message, None if nothing showed.

        When editing, this returns only once another edit is allowed, so the caller's final
        edit keeps to the pace too.
        """
        if self._finished:
            return self.ts
        self._finished = True
        if self.streaming:
            self._show(final=True)
            if self._stream is not None and self.ts is not None:
                self._stop_stream(metadata)
        elif self.ts is not None:
            while not self._pace.due():
                self.sleep(max(0.01, self._pace.remaining()))
        return self.ts

    # -- showing text ---------------------------------------------------------------------------

    def _show(self, final: bool) -> None:
        if self.streaming:
            self._append(final)
        if not self.streaming and self.text.strip():
            self._edit()

    def _append(self, final: bool) -> None:
        end = len(self.text) if final else stable_length(self.text)
        if end <= self._shown or self._quiet:
            return
        if end > MARKDOWN_MESSAGE_BUDGET:
            # Past one message's worth, the final form (split into parts) shows the rest.
            self._quiet = True
            return
        piece = neutralise(self.text[self._shown : end])
        if not piece.strip() and self.ts is None:
            return
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(
                    channel=self.channel,
                    thread_ts=self.thread_ts,
                    recipient_user_id=self.recipient_user,
                    recipient_team_id=self.recipient_team,
                    # Our own pacing decides when to send; the helper sends each append at once.
                    buffer_size=1,
                )
            self._stream.append(markdown_text=piece)
        except SlackApiError as error:
            if self._stream is not None and self._stream.ts is None:
                # chat.startStream refused: this workspace or method does not stream here.
                log.info("streaming refused (%s); editing one message instead", _code(error))
                self.streaming = False
                self._stream = None
                return
            log.warning(
                "appending to the stream failed (%s); the answer will show at the end", _code(error)
            )
            self._quiet = True
            return
        self._shown = end
        self._pace.mark()
        if self.ts is None:
            self.ts = str(self._stream.ts)
            self._drop_placeholder()

    def _stop_stream(self, metadata: dict[str, Any] | None) -> None:
        try:
            self._stream.stop(metadata=metadata)
        except SlackApiError as error:
            # The message stays; the caller's final edit gives it its finished form.
            log.warning("stopping the stream failed (%s)", _code(error))

    def _drop_placeholder(self) -> None:
        if self.placeholder_ts is None:
            return
        try:
            self.client.chat_delete(channel=self.channel, ts=self.placeholder_ts)
        except SlackApiError as error:
            log.info("could not remove the placeholder (%s)", _code(error))
        self.placeholder_ts = None

    def _edit(self) -> None:
        message = self.render(self.text)
        if self.ts is None and self.placeholder_ts is not None:
            self.ts, self.placeholder_ts = self.placeholder_ts, None
        if self.ts is None:
            response = self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, **message.as_kwargs()
            )
            self.ts = str(response["ts"])
        else:
            self.client.chat_update(channel=self.channel, ts=self.ts, **message.as_kwargs())
        if self._pace.interval != EDIT_SECONDS:
            self._pace = Pace(EDIT_SECONDS, self.clock)
        self._pace.mark()
