"""The prompt API's answers, from its WSGI app over a real Redis: documents, ETags, errors."""

from __future__ import annotations

import logging

import pytest
import redis

from bot.api.keys import ApiKeyStore, hash_key
from bot.api.routes import PromptApi
from bot.keys import Workspace, api_key_pointer
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore
from bot.prompts.versions import configure
from tests.bot.api.wsgi_calls import call
from tests.fakes.bot_harness import free_port

TEAM_A = Workspace("TA")
TEAM_B = Workspace("TB")
PROMPT = "/api/v1/prompts/uses"


@pytest.fixture
def api(redis_client: redis.Redis) -> PromptApi:
    store = PromptStore(redis_client, TEAM_A)
    store.create("uses", "Give three uses for {item}.", "U1")
    store.edit("uses", "Give two uses for {item} in {place}.", "U1")
    configure(
        redis_client, TEAM_A, "uses", "U1", {"model": "openai:llama3.1", "temperature": "0.2"}
    )
    LabelStore(redis_client, TEAM_A).move("uses", "production", 2, "U1")
    LabelStore(redis_client, TEAM_A).move("uses", "staging", 3, "U1")
    return PromptApi(redis_client, requests_per_minute=1000)


@pytest.fixture
def key(redis_client: redis.Redis) -> str:
    return ApiKeyStore(redis_client, TEAM_A).create("app", "U1")[1]


def test_a_prompt_by_label_version_or_current(api: PromptApi, key: str) -> None:
    answer = call(api, PROMPT, "label=production", key)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "private, max-age=0"
    document = answer.json()
    assert document == {
        "name": "uses",
        "version": 2,
        "labels": ["production"],
        "template": "Give two uses for {item} in {place}.",
        "variables": ["item", "place"],
        "principles": [],
        "model_settings": {"model": None, "temperature": None, "max_tokens": None},
        "updated_at": document["updated_at"],
    }
    current = call(api, PROMPT, "", key).json()
    assert (current["version"], current["labels"]) == (3, ["staging"])
    assert current["model_settings"] == {
        "model": "openai:llama3.1",
        "temperature": 0.2,
        "max_tokens": None,
    }
    first = call(api, PROMPT, "version=1", key).json()
    assert (first["version"], first["labels"], first["variables"]) == (1, [], ["item"])


def test_the_list_names_each_prompt_with_its_labels(
    api: PromptApi, key: str, redis_client: redis.Redis
) -> None:
    PromptStore(redis_client, TEAM_A).create("jokes", "A joke about {topic}", "U1")
    listing = call(api, "/api/v1/prompts", "", key).json()
    assert [(p["name"], p["version"], p["labels"]) for p in listing["prompts"]] == [
        ("jokes", 1, {}),
        ("uses", 3, {"production": 2, "staging": 3}),
    ]


def test_etag_and_if_none_match(api: PromptApi, key: str, redis_client: redis.Redis) -> None:
    first = call(api, PROMPT, "label=production", key)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = call(api, PROMPT, "label=production", key, if_none_match=etag)
    assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag)
    assert call(api, PROMPT, "label=production", key, if_none_match='"other"').status == 200
    # Moving the label changes the answer, so the old ETag no longer matches.
    LabelStore(redis_client, TEAM_A).move("uses", "production", 3, "U1")
    moved = call(api, PROMPT, "label=production", key, if_none_match=etag)
    assert moved.status == 200 and moved.headers["ETag"] != etag
    assert moved.json()["version"] == 3
    listing = call(api, "/api/v1/prompts", "", key)
    tag = listing.headers["ETag"]
    assert call(api, "/api/v1/prompts", "", key, if_none_match=tag).status == 304


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("label=canary", 404, "no label 'canary'"),
        ("version=9", 404, "no version 9"),
        ("label=production&version=2", 400, "not both"),
        ("version=0", 400, "positive whole number"),
        ("version=two", 400, "positive whole number"),
        ("version=-1", 400, "positive whole number"),
        ("label=Bad%20Label", 400, "'label' must be"),
        ("label=a&label=b", 400, "at most once"),
    ],
)
def test_clear_errors_for_bad_queries(
    api: PromptApi, key: str, query: str, status: int, words: str
) -> None:
    answer = call(api, PROMPT, query, key)
    assert answer.status == status
    error = answer.json()["error"]
    assert error["code"] == ("not_found" if status == 404 else "bad_request")
    assert words in error["message"]


def test_unknown_and_invalid_prompt_names(api: PromptApi, key: str) -> None:
    missing = call(api, "/api/v1/prompts/nope", "", key)
    assert missing.status == 404 and "no prompt named 'nope'" in missing.json()["error"]["message"]
    for bad in ("Uses", "x" * 65, "uses/extra", "-x"):
        assert call(api, f"/api/v1/prompts/{bad}", "", key).status == 400
    assert call(api, "/api/v1/other", "", key).status == 404
    posted = call(api, PROMPT, "", key, method="POST")
    assert (posted.status, posted.headers["Allow"]) == (405, "GET")


def test_keys_are_required_and_read_only_their_workspace(
    api: PromptApi, key: str, redis_client: redis.Redis
) -> None:
    for presented in (None, "", "not-a-key", key[:-1] + ("A" if key[-1] != "A" else "B")):
        answer = call(api, PROMPT, "", presented)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json()["error"]["code"] == "unauthorized"
    assert call(api, PROMPT, "", None, authorization=f"Basic {key}").status == 401
    PromptStore(redis_client, TEAM_B).create("secret", "B only {x}", "U9")
    _, key_b = ApiKeyStore(redis_client, TEAM_B).create("app", "U9")
    assert call(api, "/api/v1/prompts/secret", "", key).status == 404
    assert call(api, PROMPT, "", key_b).status == 404
    names_b = [p["name"] for p in call(api, "/api/v1/prompts", "", key_b).json()["prompts"]]
    assert names_b == ["secret"]
    ApiKeyStore(redis_client, TEAM_A).revoke("app", "U1")
    assert call(api, PROMPT, "", key).status == 401


def test_a_key_over_its_rate_limit_is_told_when_to_retry(
    redis_client: redis.Redis, api: PromptApi, key: str
) -> None:
    limited = PromptApi(redis_client, requests_per_minute=3)
    assert [call(limited, PROMPT, "", key).status for _ in range(3)] == [200] * 3
    refused = call(limited, PROMPT, "", key)
    assert refused.status == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another key of the same workspace has its own window.
    _, other = ApiKeyStore(redis_client, TEAM_A).create("other", "U1")
    assert call(limited, PROMPT, "", other).status == 200


def test_storage_down_is_503(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=1, decode_responses=True)
    api = PromptApi(unreachable, requests_per_minute=10)
    key = "ab_" + "k" * 40
    with caplog.at_level(logging.WARNING):
        answer = call(api, PROMPT, "", key)
    assert answer.status == 503
    assert answer.json()["error"]["code"] == "unavailable"
    assert int(answer.headers["Retry-After"]) > 0
    assert key not in caplog.text


def test_keys_of_a_workspace_whose_data_was_removed_are_refused(
    api: PromptApi, key: str, redis_client: redis.Redis
) -> None:
    assert call(api, PROMPT, "", key).status == 200  # the key is known to this process now
    # What removing an uninstalled workspace's data does: every key under its namespace goes,
    # the pointer from the key's hash (outside the namespace) stays behind.
    for stored in list(redis_client.scan_iter(match=TEAM_A.namespace + ":*")):
        redis_client.delete(stored)
    pointer = api_key_pointer(hash_key(key))
    assert redis_client.exists(pointer)
    assert call(api, PROMPT, "", key).status == 401
    assert call(api, "/api/v1/prompts", "", key).status == 401
    # A fresh process finds the pointer dangling and removes it.
    assert call(PromptApi(redis_client, 10), PROMPT, "", key).status == 401
    assert not redis_client.exists(pointer)
