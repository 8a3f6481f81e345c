"""The compose file: bot in HTTP mode, two workers, Redis persisted on a named volume."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.deploy.deploy_files import (
    COMPOSE_FILE,
    DEPLOY_DIR,
    REDIS_CONF,
    REPO_ROOT,
    SECRET_SETTINGS,
    MissingVariable,
    compose_file,
    interpolate,
    redis_directives,
)

# What real Slack tokens, Google API keys and OpenAI keys look like.
TOKEN_SHAPES = [r"xox[abp]-[0-9A-Za-z-]{6,}", r"xapp-[0-9A-Za-z-]{6,}"]
TOKEN_SHAPES += [r"AIza[0-9A-Za-z_-]{20,}", r"sk-[0-9A-Za-z_-]{16,}"]

COMPOSE = compose_file()
SERVICES: dict[str, Any] = COMPOSE["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    value = service.get("environment", {})
    if isinstance(value, list):  # the KEY=VALUE list form
        return dict(item.partition("=")[::2] for item in value)
    return {key: "" if v is None else str(v) for key, v in value.items()}


def env_files(service: dict[str, Any]) -> list[str]:
    value = service.get("env_file", [])
    entries = [value] if isinstance(value, str | dict) else value
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


def test_services_and_their_commands() -> None:
    assert set(SERVICES) == {"bot", "worker", "redis"}
    assert SERVICES["bot"]["command"] == ["alignbot", "serve"]
    assert SERVICES["worker"]["command"] == ["alignbot", "worker"]


def test_two_workers() -> None:
    worker = SERVICES["worker"]
    assert worker["deploy"]["replicas"] == 2
    # A fixed container name would make the second replica fail to start.
    assert "container_name" not in worker


def test_bot_and_workers_share_the_image_built_from_the_repository_root() -> None:
    for name in ("bot", "worker"):
        service = SERVICES[name]
        assert service["image"] == SERVICES["bot"]["image"]
        build = service["build"]
        context = (DEPLOY_DIR / build["context"]).resolve()
        assert context == REPO_ROOT
        assert (context / build["dockerfile"]).is_file()


def test_bot_runs_in_http_mode_with_its_port_published() -> None:
    bot = SERVICES["bot"]
    env = environment(bot)
    # An empty app token means HTTP mode, whatever the shared .env says.
    assert env.get("SLACK_APP_TOKEN") == ""
    container_port = env.get("PORT", "3000")
    published = [str(mapping).rsplit(":", 1)[-1] for mapping in bot["ports"]]
    assert published == [container_port]


def test_bot_healthcheck_calls_healthz() -> None:
    check = SERVICES["bot"]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert any("/healthz" in part for part in check["test"])
    assert not check.get("disable", False)
    # Workers serve no HTTP: the image's /healthz check would mark them unhealthy for ever.
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}


PASSWORD = {"REDIS_PASSWORD": "from-dot-env"}


def test_redis_url_points_at_the_redis_service_with_the_password() -> None:
    redis_port = redis_directives(REDIS_CONF.read_text())["port"][-1][0]
    for name in ("bot", "worker"):
        url = urlparse(interpolate(environment(SERVICES[name])["REDIS_URL"], PASSWORD))
        assert (url.scheme, url.hostname, str(url.port)) == ("redis", "redis", redis_port)
        assert (url.username, url.password) == ("", "from-dot-env")
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_redis_gets_the_password_from_the_env_file_into_the_file_its_config_includes() -> None:
    redis = SERVICES["redis"]
    [include] = redis_directives(REDIS_CONF.read_text())["include"]
    [mounted] = redis["configs"]
    assert mounted["target"] == include[0]
    content = COMPOSE["configs"][mounted["source"]]["content"]
    assert interpolate(content, PASSWORD).strip() == 'requirepass "from-dot-env"'
    # The health check authenticates: an unauthenticated ping is refused, and not a PONG.
    assert interpolate(environment(redis)["REDISCLI_AUTH"], PASSWORD) == "from-dot-env"
    assert redis["healthcheck"]["test"] == ["CMD-SHELL", "redis-cli ping | grep -q PONG"]


def test_compose_refuses_to_start_without_a_redis_password() -> None:
    # Rather than start Redis with an empty password, or the bot with a URL Redis refuses.
    mentions = re.findall(r"\$\{REDIS_PASSWORD[^}]*\}", COMPOSE_FILE.read_text())
    assert len(mentions) >= 3
    for mention in mentions:
        with pytest.raises(MissingVariable):
            interpolate(mention, {})


def test_redis_keeps_its_data_on_a_named_volume_with_the_shipped_config() -> None:
    redis = SERVICES["redis"]
    mounts = dict(reversed(entry.split(":", 2)[:2]) for entry in redis["volumes"])
    data_dir = redis_directives(REDIS_CONF.read_text())["dir"][-1][0]
    volume = mounts[data_dir]
    assert volume in COMPOSE["volumes"], "the data directory must be a named volume"
    config_path = redis["command"][1]
    assert redis["command"][0] == "redis-server"
    assert (DEPLOY_DIR / mounts[config_path]).resolve() == REDIS_CONF
    # Nor is Redis reachable from outside the compose network, password or not.
    assert "ports" not in redis


def test_secrets_come_only_from_the_env_file() -> None:
    for name in ("bot", "worker"):
        service = SERVICES[name]
        assert [PurePosixPath(path).name for path in env_files(service)] == [".env"]
        for key, value in environment(service).items():
            if key in SECRET_SETTINGS:
                assert value == "", f"{name}: {key} has a value written into compose.yaml"
    # Nor anywhere else in the file, e.g. a token pasted into a command.
    text = COMPOSE_FILE.read_text()
    assert not re.search(
        r"xox[abp]-[0-9A-Za-z-]{6,}|xapp-[0-9A-Za-z-]{6,}|AIza[0-9A-Za-z_-]{20,}", text
    )
    assert not re.search(r"sk-[0-9A-Za-z]{16,}", text)
