"""Answers that break the contract (too large, not JSON, wrong shapes, another prompt, redirects)
are refused with a clear error, or, when a copy was fetched before, leave that copy in service."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from alignment import PromptClient
from alignment.errors import (
    PromptAuthError,
    PromptRequestError,
    PromptResponseError,
    PromptUnavailableError,
)
from tests.alignment.prompt_client.conftest import CACHE_SECONDS, USES, FakeClock
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer, RawAnswer

GOOD: dict[str, Any] = {
    "name": "uses",
    "version": 1,
    "labels": ["production"],
    "template": USES,
    "variables": ["item"],
    "principles": [],
    "model_settings": {"model": None, "temperature": None, "max_tokens": None},
    "updated_at": "2025-05-01T12:00:00Z",
}


def answer(**changes: Any) -> RawAnswer:
    return RawAnswer(200, json.dumps(GOOD | changes).encode(), {"ETag": '"abc"'})


def test_the_good_answer_used_below_is_accepted(api: PromptAPIServer, client: PromptClient) -> None:
    api.hostile(answer())
    assert client.get("uses").template == USES


@pytest.mark.parametrize(
    ("hostile", "says"),
    [
        (RawAnswer(200, b"<html>login</html>"), "is not JSON"),
        (RawAnswer(200, b"[" * 100_000 + b"]" * 100_000), "is not JSON"),
        (RawAnswer(200, b'{"version": NaN}'), "is not JSON"),
        (RawAnswer(200, b"\xff\xfe"), "is not JSON"),
        (RawAnswer(200, b"[]"), "expected a JSON object"),
        (answer(version="1"), "field 'version' must be a positive integer"),
        (answer(version=True), "field 'version' must be a positive integer"),
        (answer(version=0), "field 'version' must be a positive integer"),
        (answer(name=None), "field 'name'"),
        (answer(labels="production"), "field 'labels'"),
        (answer(labels=["production", 3]), "field 'labels'"),
        (answer(template=None), "field 'template'"),
        (answer(principles=[{"text": "x"}]), "field 'principles'"),
        (answer(principles=["p"] * 5000), "field 'principles'"),
        (answer(variables=["item", "extra"]), "lists the variables"),
        (answer(template="{item.__class__}", variables=[]), "cannot be filled"),
        (answer(model_settings={"temperature": "hot"}), "field 'temperature'"),
        (answer(model_settings={"temperature": -1}), "field 'temperature'"),
        (answer(model_settings={"max_tokens": 2.5}), "field 'max_tokens'"),
        (answer(model_settings={"model": 7}), "field 'model'"),
        (answer(model_settings=[]), "expected a JSON object"),
        (answer(updated_at="yesterday"), "field 'updated_at'"),
        (answer(name="other"), "not the one asked for: it is prompt 'other'"),
        (answer(labels=["staging"]), "does not carry label 'production'"),
        (RawAnswer(418, b"{}"), "HTTP 418"),
        (RawAnswer(304, b""), "holds no copy"),
    ],
)
def test_an_answer_that_breaks_the_contract_is_refused_clearly(
    api: PromptAPIServer, client: PromptClient, hostile: RawAnswer, says: str
) -> None:
    api.hostile(hostile)
    with pytest.raises(PromptResponseError, match=says):
        client.get("uses")


def test_an_answer_about_another_version_than_asked_for_is_refused(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.hostile(answer(version=2))
    with pytest.raises(PromptResponseError, match="it is version 2"):
        client.get("uses", version=1)


def test_a_body_announced_as_too_large_is_refused_before_it_is_read(
    api: PromptAPIServer, clock: FakeClock
) -> None:
    api.hostile(RawAnswer(200, b" " * 20_000 + json.dumps(GOOD).encode()))
    with (
        PromptClient(api.url, API_KEY, max_response_bytes=10_000, clock=clock) as client,
        pytest.raises(PromptResponseError, match="larger than 10000 bytes"),
    ):
        client.get("uses")


def test_a_body_that_does_not_say_its_size_is_cut_off_at_the_cap(
    api: PromptAPIServer, clock: FakeClock
) -> None:
    endless = RawAnswer(200, b" " * 5_000_000 + json.dumps(GOOD).encode(), content_length=False)
    api.hostile(endless)
    with (
        PromptClient(api.url, API_KEY, max_response_bytes=10_000, clock=clock) as client,
        pytest.raises(PromptResponseError, match="larger than 10000 bytes"),
    ):
        client.get("uses")


def test_within_the_cap_a_body_without_its_size_is_read_whole(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.hostile(RawAnswer(200, json.dumps(GOOD).encode(), content_length=False))
    assert client.get("uses").template == USES


def test_a_broken_answer_leaves_the_copy_in_service_with_a_warning(
    api: PromptAPIServer,
    client: PromptClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = client.get("uses")
    api.hostile(RawAnswer(200, b"<html>maintenance</html>"))
    clock.advance(CACHE_SECONDS)
    with caplog.at_level(logging.WARNING, logger="alignment.prompt_client"):
        assert client.get("uses") is first
    assert "is not JSON" in caplog.text


def test_an_etag_that_is_not_a_plain_token_is_never_sent_back(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    api.hostile(RawAnswer(200, json.dumps(GOOD).encode(), {"ETag": '"a" , "b"'}))
    client.get("uses")
    clock.advance(CACHE_SECONDS)
    client.get("uses")
    assert api.if_none_match_seen == []


def test_a_redirect_is_not_followed_so_the_key_stays_with_base_url(
    api: PromptAPIServer, client: PromptClient
) -> None:
    with PromptAPIServer(api_keys=()) as elsewhere:
        api.hostile(RawAnswer(302, b"{}", {"Location": elsewhere.url + "/api/v1/prompts/uses"}))
        with pytest.raises(PromptResponseError, match="HTTP 302"):
            client.get("uses")
        assert elsewhere.count() == 0


def test_an_error_message_from_the_server_is_cut_short_and_made_printable(
    api: PromptAPIServer, client: PromptClient
) -> None:
    message = "bad\x1b[31m red\nline " + "x" * 5000
    api.hostile(
        RawAnswer(400, json.dumps({"error": {"code": "bad_request", "message": message}}).encode())
    )
    with pytest.raises(PromptRequestError) as caught:
        client.get("uses")
    text = str(caught.value)
    assert "bad [31m red line" in text
    assert len(text) < 500


def test_an_answer_trickling_in_for_longer_than_the_timeout_counts_as_down(
    api: PromptAPIServer, clock: FakeClock
) -> None:
    # Each byte comes well within the timeout; the whole answer does not.
    api.hostile(RawAnswer(200, json.dumps(GOOD).encode(), drip_seconds=0.01))
    with (
        PromptClient(api.url, API_KEY, timeout=0.5, clock=clock) as client,
        pytest.raises(PromptUnavailableError, match="took longer than the timeout"),
    ):
        client.get("uses")


def test_list_refuses_a_malformed_listing(api: PromptAPIServer, client: PromptClient) -> None:
    listing = {"prompts": [{"name": "uses", "version": 1, "labels": {"production": "1"}}]}
    api.hostile(RawAnswer(200, json.dumps(listing).encode()))
    with pytest.raises(PromptResponseError, match="field 'labels'"):
        client.list()


def test_list_reports_an_outage_and_a_refused_key(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.revoke(API_KEY)
    with pytest.raises(PromptAuthError):
        client.list()
    api.stop()
    with pytest.raises(PromptUnavailableError):
        client.list()
