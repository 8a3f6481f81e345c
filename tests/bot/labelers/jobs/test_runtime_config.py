"""The training timing settings, read with the rest of the bot's settings."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from bot.labelers.jobs.runtime import TrainingConfig

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1-test",
    "SLACK_SIGNING_SECRET": "secret",
    "ALIGN_MODEL": "openai:llama3.1",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
}


def test_the_lease_can_be_shortened_and_the_reaper_follows_it() -> None:
    settings = load_settings({**BASE, "ALIGN_TRAIN_LEASE_SECONDS": "1.5"}, dotenv_path=None)
    config = TrainingConfig.from_settings(settings)
    assert config.lease_seconds == 1.5 and config.reap_interval_seconds == 0.75
    default = TrainingConfig.from_settings(load_settings(BASE, dotenv_path=None))
    # A dead worker's step is queued again within a minute: lease expiry plus one reaper round.
    assert default.lease_seconds + default.reap_interval_seconds <= 60


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan"])
def test_a_lease_that_is_not_a_positive_number_stops_start_up(value: str) -> None:
    with pytest.raises(SettingsError, match="ALIGN_TRAIN_LEASE_SECONDS"):
        load_settings({**BASE, "ALIGN_TRAIN_LEASE_SECONDS": value}, dotenv_path=None)
