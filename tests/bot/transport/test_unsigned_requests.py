"""Nothing unsigned creates state: no metric series, no Redis writes; and a body that is not
what it claims to be is a bad request, not a server error."""

from __future__ import annotations

import http.client
import json
import logging
import random
import string
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
import redis
from prometheus_client import CollectorRegistry

from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slack_signing import SlackRequest, SlackSigner

UNSIGNED_POSTS = 2000


def series(registry: CollectorRegistry) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    return {
        (sample.name, frozenset(sample.labels.items()))
        for family in registry.collect()
        for sample in family.samples
    }


def _random_type(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(12))


def _unsigned_bodies(rng: random.Random) -> list[tuple[str, str]]:
    """(content type, body) pairs of every shape Slack sends, with made-up types."""
    kind = _random_type(rng)
    event = {"type": "event_callback", "event_id": f"Ev{kind}", "event": {"type": kind}}
    return [
        ("application/json", json.dumps(event)),
        ("application/json", json.dumps({"type": kind, "challenge": "c"})),
        ("application/x-www-form-urlencoded", urlencode({"ssl_check": "1", "type": kind})),
        ("application/x-www-form-urlencoded", urlencode({"payload": json.dumps({"type": kind})})),
        ("application/x-www-form-urlencoded", urlencode({"command": "/align", "type": kind})),
    ]


def test_unsigned_posts_with_made_up_types_add_no_series_and_write_nothing(
    in_process_bot: Callable[..., InProcessBot], redis_client: redis.Redis
) -> None:
    bot = in_process_bot()
    rng = random.Random(7)
    connection = http.client.HTTPConnection("127.0.0.1", bot.services.settings.port, timeout=10)
    statuses = set()

    def post(content_type: str, body: str) -> None:
        connection.request("POST", "/slack/events", body, {"Content-Type": content_type})
        response = connection.getresponse()
        response.read()
        statuses.add(response.status)

    for content_type, body in _unsigned_bodies(rng):  # the rejected-request series, once
        post(content_type, body)
    before_series = series(bot.services.metrics.registry)
    before_keys = set(redis_client.keys("*"))
    sent = 0
    while sent < UNSIGNED_POSTS:
        for content_type, body in _unsigned_bodies(rng):
            post(content_type, body)
            sent += 1
    connection.close()

    assert statuses == {401}
    assert series(bot.services.metrics.registry) == before_series
    assert set(redis_client.keys("*")) == before_keys
    assert bot.queue.depth() == 0


def test_an_unsigned_ssl_check_is_rejected(in_process_bot: Callable[..., InProcessBot]) -> None:
    bot = in_process_bot()
    body = urlencode({"ssl_check": "1", "token": "legacy-verification-token"})
    answer = bot.post(SlackRequest(body, {"Content-Type": "application/x-www-form-urlencoded"}))
    assert answer.status == 401


def test_a_signed_ssl_check_is_answered(
    in_process_bot: Callable[..., InProcessBot], signer: SlackSigner
) -> None:
    bot = in_process_bot()
    body = urlencode({"ssl_check": "1", "token": "legacy-verification-token"})
    assert bot.post(signer.signed(body, "application/x-www-form-urlencoded")).status == 200


def test_signed_requests_of_unknown_types_are_counted_as_other(
    in_process_bot: Callable[..., InProcessBot], signer: SlackSigner
) -> None:
    bot = in_process_bot()
    assert bot.event({"type": "made_up_event_type"}).status == 200
    labels = {labels for name, labels in series(bot.services.metrics.registry)}
    type_labels = {value for found in labels for key, value in found if key == "type"}
    assert "made_up_event_type" not in type_labels
    assert bot.services.metrics.sample("alignbot_events_total", type="other", outcome="queued") == 1


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_body_that_claims_json_but_is_not_is_a_bad_request(
    in_process_bot: Callable[..., InProcessBot],
    signer: SlackSigner,
    signed: bool,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    bot = in_process_bot()
    body = '{"type": "event_callback", "event": '
    request = (
        signer.signed(body, "application/json")
        if signed
        else SlackRequest(body, {"Content-Type": "application/json"})
    )
    with caplog.at_level(logging.DEBUG):
        answer = bot.post(request)

    assert answer.status == 400
    assert bot.get("/healthz").status == 200
    assert not [r for r in caplog.records if r.exc_info]
    assert "Traceback" not in capfd.readouterr().err
