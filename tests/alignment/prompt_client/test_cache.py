"""Answers are cached for cache_seconds, then revalidated with If-None-Match."""

from __future__ import annotations

from datetime import UTC, datetime

from alignment import PromptClient, ServedPrompt
from alignment.prompt_client import ModelSettings
from tests.alignment.prompt_client.conftest import CACHE_SECONDS, USES, FakeClock
from tests.fakes.prompt_api_server import API_KEY, PromptAPIServer

PATH = "/api/v1/prompts/uses"


def test_get_returns_the_production_version_with_everything_the_api_sent(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.add_version("uses", "Draft: {item}", label="staging", model_settings={"temperature": 0.2})
    prompt = client.get("uses")
    assert prompt == ServedPrompt(
        name="uses",
        version=1,
        template=USES,
        labels=("production",),
        principles=("Name at least one creative use.",),
        model_settings=ModelSettings(),
        updated_at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    )
    assert prompt.variables == ["item"]
    assert api.requests[0].query == {"label": "production"}
    assert api.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    staging = client.get("uses", label="staging")
    assert (staging.version, staging.labels) == (2, ("staging",))
    assert staging.model_settings == ModelSettings(temperature=0.2)
    assert client.get("uses", version=2).version == 2
    assert api.requests[-1].query == {"version": "2"}


def test_within_cache_seconds_no_request_is_made(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    first = client.get("uses")
    clock.advance(CACHE_SECONDS - 0.5)
    assert client.get("uses") is first
    assert api.count(PATH) == 1


def test_after_cache_seconds_an_unchanged_prompt_is_revalidated_with_its_etag(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    first = client.get("uses")
    clock.advance(CACHE_SECONDS)
    assert client.get("uses") is first  # the server answered 304: the copy is kept
    assert api.count(PATH) == 2
    assert api.if_none_match_seen == [api.etags_sent[0]]
    assert api.etags_sent[1] == api.etags_sent[0]  # the 304 carried the same ETag
    # The 304 refreshed the copy's time: no request until another cache_seconds pass.
    clock.advance(CACHE_SECONDS - 1)
    client.get("uses")
    assert api.count(PATH) == 2


def test_a_promotion_is_seen_after_the_cache_time_and_not_before(
    api: PromptAPIServer, client: PromptClient, clock: FakeClock
) -> None:
    assert client.get("uses").version == 1
    api.add_version("uses", "Give four uses for {item}.", label=None)
    api.promote("uses", 2)
    clock.advance(CACHE_SECONDS / 2)
    assert client.get("uses").version == 1
    clock.advance(CACHE_SECONDS / 2)
    promoted = client.get("uses")
    assert (promoted.version, promoted.template) == (2, "Give four uses for {item}.")
    assert len(api.if_none_match_seen) == 1  # asked with the old ETag, got the new version


def test_with_cache_seconds_zero_every_get_asks_and_304_keeps_the_copy(
    api: PromptAPIServer, clock: FakeClock
) -> None:
    with PromptClient(api.url, API_KEY, cache_seconds=0, clock=clock) as client:
        first = client.get("uses")
        assert client.get("uses") is first
        assert client.get("uses") is first
    assert api.count(PATH) == 3
    assert len(api.if_none_match_seen) == 2


def test_labels_and_versions_are_cached_apart(api: PromptAPIServer, client: PromptClient) -> None:
    api.promote("uses", 1, "staging")
    client.get("uses")
    client.get("uses", label="staging")
    client.get("uses", version=1)
    client.get("uses", label="production")  # the same as the default
    assert api.count(PATH) == 3


def test_list_names_each_prompt_with_its_current_version_and_labels(
    api: PromptAPIServer, client: PromptClient
) -> None:
    api.add_version("uses", "v2 {item}", label="staging")
    api.add_version("greet", "Hello {who}")
    summaries = client.list()
    assert [(s.name, s.version, s.labels) for s in summaries] == [
        ("greet", 1, {"production": 1}),
        ("uses", 2, {"production": 1, "staging": 2}),
    ]
    assert summaries[0].updated_at == datetime(2025, 5, 1, 12, tzinfo=UTC)
