"""The training settings read from the environment."""

from __future__ import annotations

import pytest

from bot.training.runtime import TrainingConfig


def test_the_lease_can_be_shortened_and_the_reaper_follows_it() -> None:
    config = TrainingConfig.from_environ({"ALIGN_TRAIN_LEASE_SECONDS": "1.5"})
    assert config.lease_seconds == 1.5 and config.reap_interval_seconds == 0.75
    default = TrainingConfig.from_environ({})
    # A dead worker's step is queued again within a minute: lease expiry plus one reaper round.
    assert default.lease_seconds + default.reap_interval_seconds <= 60


@pytest.mark.parametrize("value", ["soon", "0", "-3"])
def test_a_lease_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="ALIGN_TRAIN_LEASE_SECONDS"):
        TrainingConfig.from_environ({"ALIGN_TRAIN_LEASE_SECONDS": value})
