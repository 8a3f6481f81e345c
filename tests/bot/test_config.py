from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from alignment.model_helper import PROVIDERS, Provider, spec_problem
from bot.config import DEFAULT_SLACK_API_URL, SettingsError, load_settings
from tests.fakes.bot_harness import REPO_ROOT

VALID = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-abcdefghijkl",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "GEMINI_API_KEY": "AIzaSyD-not-a-real-key-0123456789",
}


def run_serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_with_empty_environment_lists_everything_to_set_and_exits(tmp_path: Path) -> None:
    result = run_serve({}, tmp_path)

    assert result.returncode == 2
    message = result.stderr
    assert "Traceback" not in message
    assert message.count("alignbot cannot start") == 1
    for name, where in [
        ("SLACK_BOT_TOKEN", "OAuth & Permissions"),
        ("SLACK_SIGNING_SECRET", "Basic Information"),
        ("GEMINI_API_KEY", "Google AI Studio"),
    ]:
        assert f"{name}: missing" in message
        assert where in message


def test_serve_with_malformed_settings_names_each_of_them(tmp_path: Path) -> None:
    env = {
        **VALID,
        "SLACK_BOT_TOKEN": "xoxp-user-token",
        "SLACK_APP_TOKEN": "xoxb-wrong-kind",
        "PORT": "eighty",
        "ALIGN_MODEL": "gpt-4o",
        "REDIS_URL": "localhost:6379",
        "ALIGN_EVENT_PROCESSES": "many",
        "ALIGN_LOG_LEVEL": "loud",
        "ALIGN_LOG_FORMAT": "xml",
    }
    result = run_serve(env, tmp_path)

    assert result.returncode == 2
    names = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PORT", "ALIGN_MODEL", "REDIS_URL")
    for name in (*names, "ALIGN_EVENT_PROCESSES", "ALIGN_LOG_LEVEL", "ALIGN_LOG_FORMAT"):
        assert f"  {name}:" in result.stderr
    assert "'loud' is not a log level" in result.stderr
    assert "'xml' is not a log format" in result.stderr
    assert "connections:write" in result.stderr  # where an app-level token comes from
    # The faulty token is not echoed back.
    assert "xoxb-wrong-kind" not in result.stderr
    assert "xoxp-user-token" not in result.stderr


def test_valid_settings_take_defaults() -> None:
    settings = load_settings(VALID, dotenv_path=None)

    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.port == 3000
    assert settings.model_spec == "gemini:gemini-2.5-flash"
    assert settings.effective_alignment_model_spec == settings.model_spec
    assert settings.socket_mode is False
    assert settings.redis_url is None
    assert settings.log_level == logging.INFO
    assert settings.log_format == "auto"


def test_log_level_and_format_are_read() -> None:
    env = {**VALID, "ALIGN_LOG_LEVEL": "debug", "ALIGN_LOG_FORMAT": "TEXT"}
    settings = load_settings(env, dotenv_path=None)

    assert (settings.log_level, settings.log_format) == (logging.DEBUG, "text")


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {k: v for k, v in VALID.items() if k != "SLACK_SIGNING_SECRET"}
    settings = load_settings({**env, "SLACK_APP_TOKEN": "xapp-1-A1-abc"}, dotenv_path=None)
    assert settings.socket_mode is True

    with pytest.raises(SettingsError) as raised:
        load_settings(env, dotenv_path=None)
    assert set(raised.value.problems) == {"SLACK_SIGNING_SECRET"}


def test_an_openai_model_needs_a_key_or_a_local_base_url() -> None:
    env = {**VALID, "ALIGN_ALIGNMENT_MODEL": "openai:gpt-4o-mini"}
    with pytest.raises(SettingsError) as raised:
        load_settings(env, dotenv_path=None)
    assert set(raised.value.problems) == {"OPENAI_API_KEY"}

    local = load_settings({**env, "OPENAI_BASE_URL": "http://localhost:11434/v1"}, dotenv_path=None)
    assert local.effective_alignment_model_spec == "openai:gpt-4o-mini"


def test_dotenv_file_fills_in_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "".join(f"{k}={v}\n" for k, v in VALID.items()) + "PORT=4000\nALIGN_DATA_DIR=/srv/d\n"
    )
    settings = load_settings({"PORT": "5000"}, dotenv_path=dotenv)

    assert settings.port == 5000
    assert settings.data_dir == Path("/srv/d")
    assert settings.slack_bot_token == VALID["SLACK_BOT_TOKEN"]


def test_repr_never_shows_a_secret() -> None:
    settings = load_settings(
        {**VALID, "SLACK_APP_TOKEN": "xapp-1-A1-secretpart", "OPENAI_API_KEY": "sk-verysecret"},
        dotenv_path=None,
    )
    shown = repr(settings) + str(settings)

    for secret in (*VALID.values(), "xapp-1-A1-secretpart", "sk-verysecret"):
        assert secret not in shown
    assert "model_spec='gemini:gemini-2.5-flash'" in shown


def test_a_gemini_model_needs_the_gemini_key_even_with_an_openai_key() -> None:
    env = {k: v for k, v in VALID.items() if k != "GEMINI_API_KEY"}
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, "OPENAI_API_KEY": "sk-1"}, dotenv_path=None)
    assert raised.value.problems == {"GEMINI_API_KEY": "missing (a Gemini model is configured)"}


def test_a_bad_spec_is_reported_in_the_registry_words() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**VALID, "ALIGN_TRAIN_MODEL": "claude:opus"}, dotenv_path=None)
    assert raised.value.problems == {"ALIGN_TRAIN_MODEL": spec_problem("claude:opus")}


def test_the_config_check_learns_providers_and_settings_from_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = Provider(
        name="local",
        a_model="a local model",
        key_variable="LOCAL_API_KEY",
        base_url_variable="LOCAL_BASE_URL",
        forms=("'local:<model>'",),
        build=PROVIDERS["openai"].build,
    )
    monkeypatch.setitem(PROVIDERS, "local", local)

    with pytest.raises(SettingsError) as raised:
        load_settings({**VALID, "ALIGN_MODEL": "local:tiny"}, dotenv_path=None)
    assert raised.value.problems == {"LOCAL_API_KEY": "missing (a local model is configured)"}
    settings = load_settings(
        {**VALID, "ALIGN_MODEL": "local:tiny", "LOCAL_API_KEY": "k1"}, dotenv_path=None
    )
    assert settings.model_environment()["LOCAL_API_KEY"] == "k1"

    with pytest.raises(SettingsError) as raised:
        load_settings({**VALID, "LOCAL_BASE_URL": "ftp://x"}, dotenv_path=None)
    assert set(raised.value.problems) == {"LOCAL_BASE_URL"}
