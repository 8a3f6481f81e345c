"""The container health check, run as written in the Dockerfile and compose.yaml, over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.deploy.deploy_files import DOCKERFILE, compose_file, dockerfile_healthcheck_command
from tests.deploy.health_probe import HealthStub, run_health_command, unused_port
from tests.fakes.bot_harness import BotProcess


def compose_bot_healthcheck_command() -> list[str]:
    test: list[str] = compose_file()["services"]["bot"]["healthcheck"]["test"]
    assert test[0] == "CMD"  # exec form, no shell
    return test[1:]


COMMANDS = {
    "Dockerfile": dockerfile_healthcheck_command(DOCKERFILE.read_text()),
    "compose": compose_bot_healthcheck_command(),
}


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest) -> list[str]:
    return COMMANDS[request.param]


def test_passes_when_healthz_answers_200_on_the_port_in_port(command: list[str]) -> None:
    with HealthStub(status=200) as stub:
        result = run_health_command(command, stub.port)
    assert result.returncode == 0, result.stderr
    assert stub.paths == ["/healthz"]


def test_fails_when_healthz_reports_a_problem(command: list[str]) -> None:
    with HealthStub(status=503) as stub:
        result = run_health_command(command, stub.port)
    assert result.returncode != 0
    assert stub.paths == ["/healthz"]


def test_fails_when_nothing_listens(command: list[str]) -> None:
    result = run_health_command(command, unused_port())
    assert result.returncode != 0
    assert "Connection refused" in result.stderr


def test_passes_against_the_real_bot_and_fails_once_it_stopped(
    bot_process: Callable[..., BotProcess],
) -> None:
    bot = bot_process()  # `alignbot serve` in HTTP mode, started and ready
    port = int(bot.env["PORT"])
    for source, command in COMMANDS.items():
        healthy = run_health_command(command, port)
        assert healthy.returncode == 0, f"{source}: {healthy.stderr}\n{bot.output()}"

    assert bot.stop() == 0
    for source, command in COMMANDS.items():
        assert run_health_command(command, port).returncode != 0, source
