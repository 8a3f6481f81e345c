"""The one bounded pool of threads that does the bot's work after Slack has its ack.

Slack wants an ack within 3 seconds. Bolt runs listener ack functions in its listener executor,
and by default runs lazy listeners in that same executor: a few `/align run` commands, each
waiting seconds on the model, would fill it and queue the acks of everything after them. So
everything slow runs here instead: Bolt's lazy listeners (commands, mentions, uploads, forms)
and the work the feedback listeners hand over. One pool for all of it keeps the number of
threads the bot can start bounded, however the work arrives.

Tasks run in a copy of the submitter's context, so log lines keep naming the request's team and
channel (see ``bot.observability.context``), and only once the delivery they serve has won its
apply-once claim (see ``bot.transport.dedup``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from slack_bolt import App
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from bot.transport.dedup import ApplyOnceExecutor

T = TypeVar("T")

log = logging.getLogger(__name__)

# Background work mostly waits on the network (the model, Slack); the model helpers cap their
# own concurrent calls, so this bounds threads and memory rather than model load.
BACKGROUND_WORKERS = 32
# Tasks waiting or running beyond which the pool counts as full: an event process takes no more
# deliveries off the queue until it has room, so a backlog waits in Redis (persisted, and seen
# by every event process) rather than in one process's memory.
FULL_AT_TASKS = 2 * BACKGROUND_WORKERS
# Past this many, nothing more is taken at all (commands and Socket Mode events arrive whether
# or not there is room): the person is told the bot is busy instead of the queue growing.
MAX_TASKS = 4 * FULL_AT_TASKS
# Commands are refused a little before the hard limit, so one accepted at its ack still finds
# room when Bolt hands it to the pool a moment later.
_COMMAND_ROOM = 8
BUSY_TEXT = "I am busy with a lot of work right now and did not take this. Try again in a minute."


class PoolFullError(RuntimeError):
    """The background pool holds ``MAX_TASKS`` unfinished tasks and takes no more."""


class _CountingPool(ApplyOnceExecutor):
    """An apply-once pool that knows how many of its tasks have not finished yet."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self.unfinished = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._count_lock:
            if self.unfinished >= MAX_TASKS:
                raise PoolFullError(f"{self.unfinished} tasks are waiting or running")
            self.unfinished += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: object) -> None:
        with self._count_lock:
            self.unfinished -= 1


class BackgroundWork:
    """A bounded pool for work that must not hold up acks; failures are logged, never raised."""

    def __init__(self, workers: int = BACKGROUND_WORKERS) -> None:
        self.executor = _CountingPool(max_workers=workers, thread_name_prefix="alignbot-work")

    def submit(self, what: str, work: Callable[..., None], *args: Any) -> Future[None]:
        """Run ``work(*args)`` soon; a failure is logged with ``what`` it was doing.

        Raises ``PoolFullError`` when the pool takes no more: the caller tells the person.
        """

        def guarded() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("background work failed: %s", what)

        return self.executor.submit(guarded)

    def takes_commands(self) -> bool:
        """False when a command accepted now might find no room: answer it with ``BUSY_TEXT``."""
        return self.executor.unfinished < MAX_TASKS - _COMMAND_ROOM

    def is_full(self) -> bool:
        """True while ``FULL_AT_TASKS`` or more tasks wait or run."""
        return self.executor.unfinished >= FULL_AT_TASKS

    def shutdown(self, wait: bool = True) -> None:
        """Finish what was submitted (``wait``), or drop what has not started yet."""
        self.executor.shutdown(wait=wait, cancel_futures=not wait)


class _PooledLazyListenerRunner(ThreadLazyListenerRunner):
    """Bolt's thread runner for lazy listeners, pointed at a :class:`BackgroundWork` pool.

    When the pool has no room, the work is not taken, and the person whose request it was is
    told so privately where the request names a channel and a person.
    """

    def __init__(self, runner: ThreadLazyListenerRunner, work: BackgroundWork) -> None:
        super().__init__(logger=runner.logger, executor=work.executor)
        self.work = work

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        try:
            super().start(function, request)
        except PoolFullError:
            log.warning("no room for %s; its person is told the bot is busy", function.__name__)
            _tell_busy(request)


def _tell_busy(request: BoltRequest) -> None:
    context = request.context
    channel, user, client = context.channel_id, context.user_id, context.client
    if not (channel and user and client):
        return  # nowhere to say it (a form submission): Slack shows the form as unanswered
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=BUSY_TEXT)
    except SlackApiError as error:
        log.info("could not say the bot is busy: %s", error.response.get("error"))


def background_work_of(app: App) -> BackgroundWork:
    """The pool ``app`` runs its lazy listeners in, installed on first use.

    Listeners that hand work over themselves ask for it here too, so an app has one pool.
    """
    listener_runner = app.listener_runner
    lazy_runner = listener_runner.lazy_listener_runner
    if isinstance(lazy_runner, _PooledLazyListenerRunner):
        return lazy_runner.work
    if not isinstance(lazy_runner, ThreadLazyListenerRunner):
        raise TypeError(f"cannot move lazy listeners off {type(lazy_runner).__name__}")
    work = BackgroundWork()
    listener_runner.lazy_listener_runner = _PooledLazyListenerRunner(lazy_runner, work)
    return work


def shutdown_listeners(app: App, wait: bool = True) -> None:
    """Let in-flight listener work finish (or drop queued work when ``wait`` is False)."""
    executor = app.listener_runner.listener_executor
    if isinstance(executor, ThreadPoolExecutor):
        executor.shutdown(wait=wait, cancel_futures=not wait)
    # After the listeners, which may still be handing work to the pool.
    background_work_of(app).shutdown(wait=wait)
