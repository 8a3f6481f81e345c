"""`threshold=` in the train command: read as a number, refused clearly otherwise."""

from __future__ import annotations

import pytest

from bot.commands.help import topic_help
from bot.commands.labelers import TRAINING_USAGE, TrainLabeler, parse_training_command
from bot.commands.prompts import CommandSyntaxError


@pytest.mark.parametrize(("typed", "value"), [("0.5", 0.5), ("0,7", 0.7), ("3", 3.0)])
def test_threshold_is_read_as_a_number(typed: str, value: float) -> None:
    command = parse_training_command(f"train hate label=isHate threshold={typed}")
    assert command == TrainLabeler("hate", label="isHate", threshold=value)


def test_no_threshold_leaves_labels_as_they_are() -> None:
    command = parse_training_command("train hate label=isHate")
    assert isinstance(command, TrainLabeler) and command.threshold is None


@pytest.mark.parametrize("typed", ["half", "nan", "inf", ""])
def test_a_threshold_that_is_not_a_number_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(CommandSyntaxError) as refused:
        parse_training_command(f"train hate threshold={typed}")
    explained = refused.value.explain()
    assert f"`threshold={typed}` must be a number" in explained
    assert "threshold=0.5" in explained


def test_usage_and_help_name_the_threshold() -> None:
    assert "[threshold=0.5]" in TRAINING_USAGE["train"]
    assert "threshold=0.5" in (topic_help("train") or "")
