"""The fake prompt API speaks the contract the client is tested against (checked with plain
HTTP, not with the client under test)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def api() -> Iterator[PromptAPIServer]:
    with PromptAPIServer() as server:
        server.add_version("uses", "Uses of {item}", principles=["Be brief."])
        yield server


def test_a_prompt_comes_with_an_etag_and_a_matching_if_none_match_gets_304(
    api: PromptAPIServer,
) -> None:
    url = f"{api.url}/api/v1/prompts/uses"
    first = httpx2.get(url, params={"label": "production"}, headers=AUTH)
    assert first.status_code == 200
    assert first.json()["variables"] == ["item"]
    assert first.headers["Cache-Control"] == "private, max-age=0"
    etag = first.headers["ETag"]
    again = httpx2.get(url, params={"label": "production"}, headers=AUTH | {"If-None-Match": etag})
    assert (again.status_code, again.headers["ETag"], again.content) == (304, etag, b"")
    assert api.if_none_match_seen == [etag]


def test_errors_are_the_contracts_json(api: PromptAPIServer) -> None:
    url = f"{api.url}/api/v1/prompts/uses"
    refused = httpx2.get(url)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["error"]["code"] == "unauthorized"
    both = httpx2.get(url, params={"label": "production", "version": "1"}, headers=AUTH)
    assert (both.status_code, both.json()["error"]["code"]) == (400, "bad_request")
    missing = httpx2.get(f"{api.url}/api/v1/prompts/nope", headers=AUTH)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    api.fail_with(429, retry_after=3)
    limited = httpx2.get(url, headers=AUTH)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")


def test_a_stopped_server_refuses_connections_and_comes_back_on_its_port(
    api: PromptAPIServer,
) -> None:
    url = api.url
    api.stop()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{url}/api/v1/prompts", headers=AUTH)
    api.start()
    assert api.url == url
    assert httpx2.get(f"{url}/api/v1/prompts", headers=AUTH).json()["prompts"][0]["name"] == "uses"
