"""The prompt API served by the bot's own HTTP server, in both modes, over real HTTP; every
answer checked against the OpenAPI document the server publishes."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import redis

from bot.api.keys import ApiKeyStore
from bot.api.routes import PromptApi
from bot.keys import Workspace
from bot.prompts.labels import LabelStore
from bot.prompts.store import PromptStore
from bot.prompts.versions import configure
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot, http_get, wait_until
from tests.fakes.slack_emulator import APP_TOKEN, TEAM_ID
from tests.fakes.slack_signing import HttpAnswer

WORKSPACE = Workspace(TEAM_ID)


def get(base: str, path: str, key: str | None = None, **headers: str) -> HttpAnswer:
    request = urllib.request.Request(base + path)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return HttpAnswer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), dict(error.headers))


def response_schema(document: dict[str, Any], path: str, status: int) -> dict[str, Any] | None:
    """The JSON schema the document gives for ``status`` of GET ``path`` (refs followed),
    with the document's components beside it so its own references resolve."""
    answer = document["paths"][path]["get"]["responses"][str(status)]
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content")
    if content is None:
        return None
    schema = content["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def conforms(document: dict[str, Any], path: str, answer: HttpAnswer) -> None:
    schema = response_schema(document, path, answer.status)
    if schema is None:
        assert answer.body == ""
        return
    jsonschema.Draft202012Validator(schema).validate(json.loads(answer.body))
    declared = document["paths"][path]["get"]["responses"][str(answer.status)]
    if "$ref" in declared:
        declared = document["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    for header in declared.get("headers", {}):
        assert header in answer.headers, f"{answer.status} lacks {header}"


def saved_prompts(client: redis.Redis) -> str:
    store = PromptStore(client, WORKSPACE)
    store.create("uses", "Give three uses for {item}.", "U1")
    configure(client, WORKSPACE, "uses", "U1", {"temperature": "0.3", "max_tokens": "200"})
    LabelStore(client, WORKSPACE).move("uses", "production", 2, "U1")
    return ApiKeyStore(client, WORKSPACE).create("app", "U1")[1]


def exercise(base: str, key: str, client: redis.Redis) -> None:
    """Every kind of answer, each checked against the published document."""
    opened = http_get(base + "/api/v1/openapi.json")
    assert opened.status == 200
    document = json.loads(opened.body)
    assert document["openapi"].startswith("3.1")
    jsonschema.Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    prompt, listing = "/api/v1/prompts/{name}", "/api/v1/prompts"

    found = get(base, "/api/v1/prompts/uses?label=production", key)
    assert found.status == 200 and json.loads(found.body)["version"] == 2
    conforms(document, prompt, found)
    unchanged = get(
        base, "/api/v1/prompts/uses?label=production", key, If_None_Match=found.headers["ETag"]
    )
    assert unchanged.status == 304
    conforms(document, prompt, unchanged)
    everything = get(base, listing, key)
    assert everything.status == 200
    conforms(document, listing, everything)
    cases = [
        ("/api/v1/prompts/uses?label=canary", key, 404),
        ("/api/v1/prompts/uses?label=production&version=1", key, 400),
        ("/api/v1/prompts/uses", "ab_" + "x" * 40, 401),
        ("/api/v1/prompts/uses", None, 401),
    ]
    for path, presented, status in cases:
        answer = get(base, path, presented)
        assert answer.status == status, path
        conforms(document, prompt, answer)
    assert get(base, listing, None).status == 401
    conforms(document, listing, get(base, listing, None))
    # Over the limit: the same key, a limit of a few requests per minute.
    for _ in range(10):
        answer = get(base, listing, key)
        if answer.status == 429:
            break
    assert answer.status == 429
    conforms(document, listing, answer)


def test_http_mode_serves_the_api_and_the_document_matches(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    redis_client: redis.Redis,
) -> None:
    key = saved_prompts(redis_client)
    services = make_services()
    api = PromptApi(services.redis, requests_per_minute=12)
    bot = in_process_bot(with_services=services, api=api)
    exercise(bot.base_url, key, redis_client)
    assert bot.get("/healthz").status == 200


def test_socket_mode_opens_a_port_for_the_api_health_and_metrics(
    make_services: Callable[..., Services],
    in_process_bot: Callable[..., InProcessBot],
    redis_client: redis.Redis,
) -> None:
    key = saved_prompts(redis_client)
    services = make_services(SLACK_APP_TOKEN=APP_TOKEN)
    api = PromptApi(services.redis, requests_per_minute=12)
    bot = in_process_bot(with_services=services, api=api)

    def healthy() -> bool:
        try:
            return bot.get("/healthz").status == 200
        except OSError:
            return False

    wait_until(healthy, 10, what="the Socket Mode bot's HTTP port")
    assert "alignbot_" in bot.get("/metrics").body
    # Slack's requests never come over HTTP in Socket Mode.
    assert bot.get("/slack/events").status == 404
    exercise(bot.base_url, key, redis_client)


@pytest.mark.parametrize("socket_mode", [False, True])
def test_the_api_can_be_switched_off(
    bot_process: Callable[..., Any], redis_client: redis.Redis, socket_mode: bool
) -> None:
    key = saved_prompts(redis_client)
    bot = bot_process(socket_mode=socket_mode, ALIGN_PROMPT_API="false")
    if socket_mode:
        with pytest.raises(OSError):
            bot.get("/healthz")
    else:
        assert get(bot.base_url, "/api/v1/prompts/uses", key).status == 404
        assert bot.get("/healthz").status == 200
