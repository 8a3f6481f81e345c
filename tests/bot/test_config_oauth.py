"""Settings for installing into many workspaces: all three OAuth settings or none, never with a
bot token, never in Socket Mode; and the grace period of uninstalled workspaces."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_UNINSTALL_GRACE_DAYS, SettingsError, load_settings
from tests.bot.test_config import VALID

OAUTH = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "client-secret-value",
    "SLACK_STATE_SECRET": "x" * 40,
}
WITHOUT_TOKEN = {name: value for name, value in VALID.items() if name != "SLACK_BOT_TOKEN"}


def problems(env: dict[str, str]) -> dict[str, str]:
    with pytest.raises(SettingsError) as refused:
        load_settings(env, dotenv_path=None)
    return refused.value.problems


def test_single_token_mode_is_the_default() -> None:
    settings = load_settings(VALID, dotenv_path=None)

    assert not settings.oauth and settings.uninstall_grace_days == DEFAULT_UNINSTALL_GRACE_DAYS


def test_oauth_mode_needs_no_bot_token_and_hides_its_secrets() -> None:
    settings = load_settings({**WITHOUT_TOKEN, **OAUTH}, dotenv_path=None)

    assert settings.oauth and settings.slack_bot_token == ""
    shown = repr(settings)
    assert OAUTH["SLACK_CLIENT_SECRET"] not in shown and OAUTH["SLACK_STATE_SECRET"] not in shown
    assert OAUTH["SLACK_CLIENT_ID"] in shown


def test_a_partial_oauth_setup_names_what_is_missing() -> None:
    found = problems({**WITHOUT_TOKEN, "SLACK_CLIENT_ID": "1111.2222"})

    assert set(found) == {"SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"}
    assert "OAuth mode needs" in found["SLACK_STATE_SECRET"]


@pytest.mark.parametrize(
    ("extra", "name", "says"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN", "not both"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN", "needs HTTP mode"),
        ({"SLACK_STATE_SECRET": "short"}, "SLACK_STATE_SECRET", "shorter than 32"),
        ({"ALIGN_UNINSTALL_GRACE_DAYS": "-1"}, "ALIGN_UNINSTALL_GRACE_DAYS", "days >= 0"),
        ({"ALIGN_UNINSTALL_GRACE_DAYS": "nan"}, "ALIGN_UNINSTALL_GRACE_DAYS", "days >= 0"),
    ],
)
def test_conflicting_or_weak_settings_are_refused(
    extra: dict[str, str], name: str, says: str
) -> None:
    found = problems({**WITHOUT_TOKEN, **OAUTH, **extra})

    assert says in found[name]


def test_a_grace_period_of_zero_days_is_allowed() -> None:
    env = {**WITHOUT_TOKEN, **OAUTH, "ALIGN_UNINSTALL_GRACE_DAYS": "0"}

    assert load_settings(env, dotenv_path=None).uninstall_grace_days == 0.0
