"""Where the deployment files live, and small readers for them that the deploy tests share."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy"
DOCKERFILE = DEPLOY_DIR / "Dockerfile"
DOCKERIGNORE = DEPLOY_DIR / "Dockerfile.dockerignore"
COMPOSE_FILE = DEPLOY_DIR / "compose.yaml"
REDIS_CONF = DEPLOY_DIR / "redis.conf"
K8S_DIR = DEPLOY_DIR / "k8s"

# Every setting that holds a credential; none may have a value written into a deployment file.
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "GEMINI_API_KEY",
    "OPENAI_API_KEY",
    "ALIGN_METRICS_TOKEN",
    "REDIS_PASSWORD",
)


class MissingVariable(KeyError):
    """A ``${NAME:?message}`` whose variable is unset or empty: compose refuses to start."""


def interpolate(text: str, variables: dict[str, str]) -> str:
    """``text`` with compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``
    replaced from ``variables``, and ``$$`` (a literal dollar) undoubled."""

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match["name"], match["operator"], match["argument"] or ""
        found = variables.get(name, "")
        if operator == ":?" and not found:
            raise MissingVariable(f"{name}: {argument}")
        if operator == ":-" and not found:
            return argument
        return found

    pattern = r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:[-?])(?P<argument>[^}]*))?\}"
    return re.sub(pattern, value, text.replace("$$", "\0")).replace("\0", "$")


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The JSON-array ("exec") form of CMD/HEALTHCHECK arguments; raises if it is the shell form."""
    value = json.loads(arguments)
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise ValueError(f"not an exec-form command: {arguments}")
    return value


def dockerfile_healthcheck_command(text: str) -> list[str]:
    """The command of the Dockerfile's HEALTHCHECK, e.g. ["python", "-c", "..."]."""
    checks = [args for keyword, args in dockerfile_instructions(text) if keyword == "HEALTHCHECK"]
    if len(checks) != 1:
        raise ValueError(f"expected one HEALTHCHECK, found {len(checks)}")
    options, separator, command = checks[0].partition(" CMD ")
    if not separator or not all(option.startswith("--") for option in shlex.split(options)):
        raise ValueError(f"HEALTHCHECK without options followed by CMD: {checks[0]}")
    return exec_form(command)


def compose_file() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def redis_directives(text: str) -> dict[str, list[list[str]]]:
    """Each redis.conf directive (lower-cased) with the argument lists of all its lines."""
    directives: dict[str, list[list[str]]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, *arguments = shlex.split(line)
        directives.setdefault(name.lower(), []).append(arguments)
    return directives


def k8s_manifest_files() -> list[Path]:
    """Every Kubernetes manifest; kustomization.yaml is kustomize's index, not a resource."""
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_resources(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def all_k8s_resources() -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource in deploy/k8s, keyed by (kind, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in k8s_manifest_files():
        for resource in k8s_resources(path):
            key = (resource["kind"], resource["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = resource
    return found
