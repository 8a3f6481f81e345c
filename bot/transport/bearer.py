"""A bearer token check for endpoints that only a scraper should read (``/metrics``)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

SCHEME = "bearer"


def bearer_matches(environ: WSGIEnvironment, token: str) -> bool:
    """Whether the request's ``Authorization`` header is ``Bearer <token>``.

    Compared in constant time, so the answer's timing says nothing about how much of a guess
    was right.
    """
    scheme, _, given = (environ.get("HTTP_AUTHORIZATION") or "").strip().partition(" ")
    if scheme.lower() != SCHEME:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())
