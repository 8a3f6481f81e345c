"""Check a queued delivery against the Slack signature it was acked with, all but its age.

Whoever can write to Redis can put an entry in the event queue. Slack signs each request with
the app's signing secret, which Redis never holds, so a body that still matches the signature
and timestamp it was queued with is one Slack sent. The age is not checked: that limit guards
the HTTP endpoint against replays, while a queued delivery may wait out an outage for hours.
A genuine delivery queued twice (a replay by a Redis writer) is stopped by apply-once instead.
"""

from __future__ import annotations

import hmac

from slack_sdk.signature import SignatureVerifier

from bot.transport.event_queue import SIGNATURE_HEADER, TIMESTAMP_HEADER, QueuedDelivery


class QueuedSignature:
    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    def matches(self, delivery: QueuedDelivery) -> bool:
        """True when ``delivery``'s body is signed with the signing secret."""
        timestamp = delivery.headers.get(TIMESTAMP_HEADER, "")
        signature = delivery.headers.get(SIGNATURE_HEADER, "")
        if not timestamp.isdigit() or not signature:
            return False
        expected = self._verifier.generate_signature(timestamp=timestamp, body=delivery.body)
        # Bytes: whatever Redis held may not be ASCII, which compare_digest refuses in a str.
        return expected is not None and hmac.compare_digest(expected.encode(), signature.encode())
