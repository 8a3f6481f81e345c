"""What the server decides (a revoked key, a deleted prompt) is shown at once, even with a copy
cached or a fallback given; requests that cannot be right are refused before anything is sent;
the key never shows."""

from __future__ import annotations

import logging

import pytest

from alignment import PromptClient
from alignment.errors import (
    PromptAuthError,
    PromptNotFoundError,
    PromptRequestError,
    PromptUnavailableError,
    TemplateError,
)
from tests.alignment.prompt_client.conftest import CACHE_SECONDS, FakeClock
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

PATH = "/api/v1/prompts/uses"


def test_a_wrong_key_gets_the_auth_error_without_the_key_in_it(api: PromptAPIServer) -> None:
    wrong = "ab_" + "w" * 40
    with PromptClient(api.url, wrong) as client, pytest.raises(PromptAuthError) as caught:
        client.get("uses")
    assert "/align apikey create" in str(caught.value)
    assert wrong not in str(caught.value)


def test_a_revoked_key_is_refused_even_with_a_copy_cached_and_the_copy_is_dropped(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    client.get("uses")
    api.revoke(API_KEY)
    clock.advance(CACHE_SECONDS)
    with pytest.raises(PromptAuthError):
        client.get("uses", fallback="List uses of {item}.")
    api.api_keys.add(API_KEY)
    api.stop()  # with the copy gone, an outage now has nothing to serve but a fallback
    with pytest.raises(PromptUnavailableError):
        client.get("uses")


def test_a_deleted_prompt_is_not_found_even_with_a_copy_cached_or_a_fallback(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    client.get("uses")
    api.delete("uses")
    clock.advance(CACHE_SECONDS)
    with pytest.raises(PromptNotFoundError, match="no prompt named uses"):
        client.get("uses", fallback="List uses of {item}.")
    assert isinstance(PromptNotFoundError("x"), LookupError)


def test_an_unknown_label_or_version_is_not_found(client: PromptClient) -> None:
    with pytest.raises(PromptNotFoundError, match="no version labelled staging"):
        client.get("uses", label="staging")
    with pytest.raises(PromptNotFoundError, match="no version 9"):
        client.get("uses", version=9)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("uses", {"label": "production", "version": 1}),
        ("uses", {"version": 0}),
        ("uses", {"version": True}),
        ("uses", {"label": "two words"}),
        ("../admin", {}),
        ("uses/1", {}),
        ("", {}),
        ("x" * 200, {}),
    ],
)
def test_requests_that_cannot_be_right_are_refused_before_sending(
    api: PromptAPIServer, client: PromptClient, name: str, options: dict[str, object]
) -> None:
    with pytest.raises(PromptRequestError):
        client.get(name, **options)  # type: ignore[arg-type]
    assert api.count() == 0


def test_a_fallback_that_cannot_be_filled_is_refused_even_when_the_server_is_up(
    client: PromptClient,
) -> None:
    with pytest.raises(TemplateError, match=r"\{item\.__class__\}"):
        client.get("uses", fallback="Uses of {item.__class__}")


@pytest.mark.parametrize(
    ("base_url", "key"),
    [
        ("ftp://host", API_KEY),
        ("http://host", ""),
        ("http://host", "ab_ two"),
        ("http://h", "a\nb"),
    ],
)
def test_a_client_that_cannot_work_is_refused_when_made(base_url: str, key: str) -> None:
    with pytest.raises(PromptRequestError) as caught:
        PromptClient(base_url, key)
    assert not key.strip() or key not in str(caught.value)


def test_the_key_is_never_in_repr_or_logs(
    api: PromptAPIServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = PromptClient(api.url, API_KEY, cache_seconds=1, clock=clock)
        assert API_KEY not in repr(client)
        assert repr(client) == f"PromptClient(base_url={api.url!r}, cache_seconds=1)"
        client.get("uses")
        api.fail_with(503)
        clock.advance(1)
        client.get("uses")
        client.close()
    assert caplog.records  # the warning, and whatever the HTTP layer logs at debug
    assert API_KEY not in caplog.text


def test_a_password_in_base_url_is_not_shown_either(api: PromptAPIServer) -> None:
    api.stop()
    url = api.url.replace("http://", "http://user:s3cret@")
    with PromptClient(url, API_KEY) as client:
        assert "s3cret" not in repr(client)
        with pytest.raises(PromptUnavailableError) as caught:
            client.get("uses")
    assert api.url in str(caught.value)
    assert "s3cret" not in str(caught.value)
