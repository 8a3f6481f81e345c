"""`experts=` in the train message: a whole number of experts, refused clearly otherwise."""

from __future__ import annotations

import pytest

from bot.commands.help import topic_help
from bot.commands.labelers import TRAINING_USAGE, TrainLabeler, parse_training_command
from bot.commands.prompts import CommandSyntaxError


def test_experts_are_read_with_the_other_settings() -> None:
    command = parse_training_command("train hate label=isHate experts=2 threshold=0.5")
    assert command == TrainLabeler("hate", label="isHate", threshold=0.5, experts=2)


def test_no_experts_is_one_rule_set() -> None:
    command = parse_training_command("train hate label=isHate")
    assert isinstance(command, TrainLabeler) and command.experts == 1


@pytest.mark.parametrize("typed", ["0", "9", "two", "1.5", "-1", ""])
def test_a_number_out_of_range_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(CommandSyntaxError) as refused:
        parse_training_command(f"train hate experts={typed}")
    explained = refused.value.explain()
    assert f"`experts={typed}` must be a whole number from 1 to 8" in explained
    assert "experts=2" in explained


def test_usage_and_help_name_the_experts() -> None:
    assert "[experts=2]" in TRAINING_USAGE["train"]
    assert "experts=2" in (topic_help("train") or "")
