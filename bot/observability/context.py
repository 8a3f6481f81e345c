"""Which workspace, channel, prompt and run a log line is about, carried without passing it around.

The ids live in a context variable. A request's fields are set as soon as it arrives, so every
line logged while serving it (by the bot, Bolt or any library) names the same team and channel;
listeners add the prompt and run once they know them. Listener threads see the fields because
:class:`ContextCopyingExecutor` runs each task in a copy of the submitter's context.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# The order fields appear in on a log line.
FIELD_NAMES = ("team", "enterprise", "channel", "user", "prompt", "run", "event", "job")

_EMPTY: Mapping[str, str] = MappingProxyType({})
_fields: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "alignbot_log_fields", default=_EMPTY
)


def current_log_fields() -> Mapping[str, str]:
    """The ids bound in the current context, in :data:`FIELD_NAMES` order."""
    return _fields.get()


def _merged(given: Mapping[str, str | None]) -> Mapping[str, str]:
    merged = dict(_fields.get())
    for name, value in given.items():
        if value:
            merged[name] = str(value)
    return MappingProxyType({name: merged[name] for name in FIELD_NAMES if name in merged})


def bind_log_fields(
    *,
    team: str | None = None,
    enterprise: str | None = None,
    channel: str | None = None,
    user: str | None = None,
    prompt: str | None = None,
    run: str | None = None,
    event: str | None = None,
    job: str | None = None,
) -> None:
    """Add ids for the rest of the current context (a request, a listener task, a job).

    Empty values are ignored, so callers can pass what they have without checking it.
    """
    _fields.set(
        _merged(
            {
                "team": team,
                "enterprise": enterprise,
                "channel": channel,
                "user": user,
                "prompt": prompt,
                "run": run,
                "event": event,
                "job": job,
            }
        )
    )


@contextlib.contextmanager
def log_fields(**fields: str | None) -> Iterator[None]:
    """Bind ids for the ``with`` block only; names are those of :func:`bind_log_fields`."""
    unknown = set(fields) - set(FIELD_NAMES)
    if unknown:
        raise TypeError(f"unknown log fields: {', '.join(sorted(unknown))}")
    token = _fields.set(_merged(fields))
    try:
        yield
    finally:
        _fields.reset(token)


def run_in_fresh_context(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``fn`` in a copy of the current context, so ids it binds do not outlive the call.

    Server threads serve one request after another; without this, the ids of one request would
    still be bound when the thread serves the next.
    """
    return contextvars.copy_context().run(fn, *args, **kwargs)


class ContextCopyingExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the context they were submitted from."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
