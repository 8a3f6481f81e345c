"""Bodies are refused by size before they are read: no unsigned sender makes the bot buffer more
than the biggest payload Slack sends."""

from __future__ import annotations

import socket
from collections.abc import Callable

from bot.transport.body import MAX_BODY_BYTES
from tests.bot.transport.raw_http import chunk, connect, read_status, request_head
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slack_signing import SlackSigner

THREE_MIB = 3 * 1024 * 1024
SENT_BEFORE_ASKING = 64 * 1024


def _port(bot: InProcessBot) -> int:
    return bot.services.settings.port


def test_a_body_over_the_limit_is_refused_before_it_arrives(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot()
    with connect(_port(bot)) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": str(THREE_MIB)}
        sock.sendall(request_head("POST", "/slack/events", headers))
        sock.sendall(b"x" * SENT_BEFORE_ASKING)

        # The answer comes while almost all of the body is still unsent: it was never read.
        assert read_status(sock) == 413


def test_a_chunked_body_is_read_only_up_to_the_limit(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot()
    with connect(_port(bot)) as sock:
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        sock.sendall(request_head("POST", "/slack/events", headers))
        piece = b"x" * (256 * 1024)
        try:
            for _ in range(THREE_MIB // len(piece)):
                sock.sendall(chunk(piece))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the rest went out
        assert read_status(sock) == 413
    assert bot.get("/healthz").status == 200


def test_a_signed_event_sent_in_chunks_is_acked(
    in_process_bot: Callable[..., InProcessBot], signer: SlackSigner
) -> None:
    bot = in_process_bot()
    event = {"type": "app_mention", "user": "U0PERSON1", "text": "hi", "channel": "C0GENERAL"}
    signed = signer.event(event)
    body = signed.body.encode()
    with connect(_port(bot)) as sock:
        sock.sendall(
            request_head(
                "POST", "/slack/events", {**signed.headers, "Transfer-Encoding": "chunked"}
            )
        )
        sock.sendall(chunk(body[:100]) + chunk(body[100:]) + b"0\r\n\r\n")
        assert read_status(sock) == 200


def test_a_body_at_the_limit_is_read(in_process_bot: Callable[..., InProcessBot]) -> None:
    bot = in_process_bot()
    with connect(_port(bot), timeout=10) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": str(MAX_BODY_BYTES)}
        sock.sendall(request_head("POST", "/slack/events", headers))
        sock.sendall(b"{}" + b" " * (MAX_BODY_BYTES - 2))
        # Not too big: it is read whole and then judged on its signature.
        assert read_status(sock) == 401


def test_a_body_shorter_than_it_claims_is_a_bad_request(
    in_process_bot: Callable[..., InProcessBot],
) -> None:
    bot = in_process_bot()
    with connect(_port(bot)) as sock:
        headers = {"Content-Type": "application/json", "Content-Length": "1000"}
        sock.sendall(request_head("POST", "/slack/events", headers) + b"{}")
        sock.shutdown(socket.SHUT_WR)
        assert read_status(sock) == 400
