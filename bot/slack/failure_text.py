"""What a failure says to people: the error's own words, with anything shaped like a secret masked.

Model and HTTP client errors can quote a request (a URL with ``?key=``, an Authorization header),
and those words are posted in Slack for everyone in the channel to read. The log has its own
redaction; this is the same net for text that goes to people.
"""

from __future__ import annotations

from bot.observability.redaction import Redactor, public_urls

# Pattern-only: the shapes of Slack tokens and model keys, whichever values are configured.
_mask_secrets = Redactor()


def failure_reason(error: BaseException) -> str:
    """The error's message (its type when it has none), safe to show in Slack."""
    return _mask_secrets(public_urls(str(error) or type(error).__name__))
