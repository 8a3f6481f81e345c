"""The hook through which something outside the library can pace a helper's requests.

A helper that calls a service asks its gate for permission before every request it sends
(retries included, since a service counts those against its quota too). The gate blocks until
the request may go. Anything with an ``acquire()`` method fits: the in-process
``alignment._labeler.concurrency.RateLimiter``, or a limit shared by many processes that the
embedding application builds on its own storage, which the library need not know about.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class RequestGate(Protocol):
    """Blocks until one more request may be sent to the model service."""

    def acquire(self) -> None: ...
