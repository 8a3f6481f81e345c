"""A server that is down, slow or overloaded never fails an application that has something to
serve: the last good copy, else the caller's fallback template."""

from __future__ import annotations

import logging

import pytest

from alignment import PromptClient
from alignment.errors import PromptUnavailableError
from tests.alignment.prompt_client.conftest import CACHE_SECONDS, USES, FakeClock
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

PATH = "/api/v1/prompts/uses"
FALLBACK = "List three uses of {item}."


def test_a_stopped_server_leaves_the_last_copy_in_service_with_a_warning(
    api: PromptAPIServer,
    client: PromptClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = client.get("uses")
    api.stop()
    clock.advance(CACHE_SECONDS)
    with caplog.at_level(logging.WARNING, logger="alignment.prompt_client"):
        assert client.get("uses") is first
    (record,) = caplog.records
    assert "could not be reached" in record.getMessage()
    assert "serving version 1 fetched earlier" in record.getMessage()
    assert API_KEY not in caplog.text


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_leave_the_copy_in_service_and_the_next_try_waits_cache_seconds(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock, status: int
) -> None:
    first = client.get("uses")
    api.fail_with(status)
    clock.advance(CACHE_SECONDS)
    assert client.get("uses") is first
    assert api.count(PATH) == 2
    # A failed check counts as a check: a down server does not cost every call a request.
    clock.advance(CACHE_SECONDS - 1)
    assert client.get("uses") is first
    assert api.count(PATH) == 2
    api.recover()
    api.add_version("uses", "Give four uses for {item}.")
    clock.advance(1)
    assert client.get("uses").version == 2
    assert api.count(PATH) == 3


def test_a_rate_limit_is_waited_out_for_its_retry_after(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    first = client.get("uses")
    api.fail_with(429, retry_after=int(CACHE_SECONDS * 3))
    clock.advance(CACHE_SECONDS)
    assert client.get("uses") is first
    clock.advance(CACHE_SECONDS * 3 - 1)
    assert client.get("uses") is first
    assert api.count(PATH) == 2  # nothing asked before Retry-After passed
    clock.advance(1)
    client.get("uses")
    assert api.count(PATH) == 3


def test_a_server_slower_than_the_timeout_counts_as_down(
    api: PromptAPIServer, clock: FakeClock
) -> None:
    with PromptClient(api.url, API_KEY, cache_seconds=10, timeout=0.2, clock=clock) as client:
        first = client.get("uses")
        api.delay = 1.0
        clock.advance(10)
        assert client.get("uses") is first
        assert api.count(PATH) == 2


def test_with_no_copy_the_fallback_template_is_served_with_a_warning(
    api: PromptAPIServer,
    client: PromptClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.stop()
    with caplog.at_level(logging.WARNING, logger="alignment.prompt_client"):
        prompt = client.get("uses", fallback=FALLBACK)
    assert prompt.is_fallback
    assert (prompt.name, prompt.version, prompt.template) == ("uses", 0, FALLBACK)
    assert prompt.format(item="scissors") == "List three uses of scissors."
    assert "serving the fallback template" in caplog.text
    assert API_KEY not in caplog.text


def test_the_fallback_is_used_until_the_next_try_and_then_the_real_prompt(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    api.fail_with(503)
    assert client.get("uses", fallback=FALLBACK).is_fallback
    clock.advance(CACHE_SECONDS - 1)
    assert client.get("uses", fallback=FALLBACK).is_fallback
    assert api.count(PATH) == 1
    api.recover()
    clock.advance(1)
    prompt = client.get("uses", fallback=FALLBACK)
    assert (prompt.is_fallback, prompt.template) == (False, USES)


def test_with_neither_copy_nor_fallback_the_unavailable_error_is_raised(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.stop()
    with pytest.raises(PromptUnavailableError, match="could not be reached") as caught:
        client.get("uses")
    assert API_KEY not in str(caught.value)
    # Without a fallback there is nothing to serve, so every call tries again.
    with pytest.raises(PromptUnavailableError):
        client.get("uses")


def test_a_rate_limit_with_nothing_to_serve_says_when_to_retry(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.fail_with(429, retry_after=7)
    with pytest.raises(PromptUnavailableError, match="HTTP 429") as caught:
        client.get("uses")
    assert caught.value.retry_after == 7


def test_the_server_coming_back_on_the_same_port_is_used_again(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    client.get("uses")
    api.stop()
    clock.advance(CACHE_SECONDS)
    assert client.get("uses").version == 1
    api.add_version("uses", "Give four uses for {item}.")
    api.start()
    clock.advance(CACHE_SECONDS)
    assert client.get("uses").version == 2
