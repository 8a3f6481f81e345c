"""Clients that send their request slowly, or never finish it, do not keep Slack's events or
the probes from being answered."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from bot.transport import deadlines
from tests.bot.transport.raw_http import Trickler, read_status
from tests.fakes.bot_harness import InProcessBot, http_get
from tests.fakes.slack_signing import SlackSigner, send

SLOW_CLIENTS = 30
# Generous: a prompt answer takes milliseconds; a starved one never comes.
ANSWER_TIMEOUT = 5


@pytest.fixture
def trickle(
    in_process_bot: Callable[..., InProcessBot],
) -> Iterator[Callable[[InProcessBot, int], Trickler]]:
    started: list[Trickler] = []

    def start(bot: InProcessBot, count: int) -> Trickler:
        trickler = Trickler(bot.services.settings.port, count).start()
        started.append(trickler)
        return trickler

    yield start
    for trickler in started:
        trickler.stop()


def test_slow_clients_do_not_starve_acks_or_probes(
    in_process_bot: Callable[..., InProcessBot],
    signer: SlackSigner,
    trickle: Callable[[InProcessBot, int], Trickler],
) -> None:
    bot = in_process_bot()
    trickle(bot, SLOW_CLIENTS)
    # Let the server take up every slow socket before the real requests come.
    time.sleep(1)

    event = {"type": "app_mention", "user": "U0PERSON1", "text": "hi", "channel": "C0GENERAL"}
    ack = send(bot.events_url, signer.event(event), timeout=ANSWER_TIMEOUT)
    health = http_get(f"{bot.base_url}/healthz", timeout=ANSWER_TIMEOUT)

    assert (ack.status, health.status) == (200, 200)


def test_a_client_that_never_finishes_its_headers_is_cut_off(
    in_process_bot: Callable[..., InProcessBot],
    trickle: Callable[[InProcessBot, int], Trickler],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadlines, "HEADER_SECONDS", 1.0)
    bot = in_process_bot()
    [sock] = trickle(bot, 1).sockets
    sock.settimeout(30)

    # The server gives up on it: at most an error answer, then the connection is closed.
    assert read_status(sock) in (None, 400, 408)
    _read_to_end(sock)  # a timeout here would mean the server still holds it


def _read_to_end(sock: socket.socket) -> None:
    while sock.recv(4096):
        pass
