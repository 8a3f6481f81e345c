"""Reading `train`, `cancel`, `notify` and `label` as Slack delivers them."""

from __future__ import annotations

import pytest

from bot.commands.labelers import (
    CancelTraining,
    LabelWithLabeler,
    SetNotifications,
    TrainLabeler,
    addressed_training_text,
    parse_training_command,
)
from bot.commands.text import CommandSyntaxError


def test_train_reads_every_setting_with_quotes_and_a_channel_reference() -> None:
    command = parse_training_command(
        "train hate label=isHate inputs=comment,context task=“Is it hateful?” steps=4 "
        "notify=<#C0ALERTS|alerts> target=90% delta=0.05"
    )
    assert command == TrainLabeler(
        name="hate",
        label="isHate",
        inputs=("comment", "context"),
        task="Is it hateful?",
        steps=4,
        notify_channel="C0ALERTS",
        target=0.9,
        delta=0.05,
    )


def test_train_leaves_unsaid_settings_to_later() -> None:
    assert parse_training_command("train spam") == TrainLabeler("spam")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("train Spam!", "not a valid prompt name"),
        ("train spam steps=0", "from 1 to 20"),
        ("train spam steps=many", "from 1 to 20"),
        ("train spam colour=red", "`colour` is not a setting of `train`"),
        ("train spam label", "not a `key=value` setting"),
        ("train spam notify=alerts", "needs a channel"),
        ("train spam target=2", "above 0 and at most 1"),
        ("train spam steps=2 steps=3", "given twice"),
        ("cancel", "needs a labeler name"),
        ("cancel spam now", "only a labeler or prompt name"),
        ("notify spam <#C1|a> <#C2|b>", "one channel"),
        ("notify spam every=step", "not a setting of `notify`"),
    ],
)
def test_mistakes_are_explained(text: str, says: str) -> None:
    with pytest.raises(CommandSyntaxError) as refused:
        parse_training_command(text)
    assert says in refused.value.explain()


def test_notify_takes_a_reference_or_a_typed_channel_and_optional_thresholds() -> None:
    assert parse_training_command("notify spam <#C0ALERTS|alerts> target=0.8") == (
        SetNotifications("spam", channel="C0ALERTS", target=0.8)
    )
    assert parse_training_command("notify spam #ml-alerts delta=0.1") == (
        SetNotifications("spam", channel="#ml-alerts", delta=0.1)
    )
    shown = parse_training_command("notify spam")
    assert isinstance(shown, SetNotifications) and shown.changes_nothing
    assert parse_training_command("cancel spam") == CancelTraining("spam")


def test_label_keeps_column_values_or_the_text_as_typed() -> None:
    assert parse_training_command('label spam subject="Win now" body=hi') == LabelWithLabeler(
        "spam", {"subject": "Win now", "body": "hi"}, 'subject="Win now" body=hi'
    )
    assert parse_training_command("label spam Buy cheap pills &amp; more") == LabelWithLabeler(
        "spam", {}, "Buy cheap pills & more"
    )
    assert parse_training_command("label spam") == LabelWithLabeler("spam", {}, None)


def test_other_commands_are_left_to_the_prompt_parser() -> None:
    assert parse_training_command("run uses item=x") is None
    assert parse_training_command("") is None


def test_only_messages_that_start_by_mentioning_the_bot_with_a_labeler_word_are_taken() -> None:
    assert addressed_training_text("<@UBOT> train spam label=x", "UBOT") == "train spam label=x"
    assert addressed_training_text("<@UBOT|alignbot> label spam", "UBOT") == "label spam"
    assert addressed_training_text("<@UBOT> run uses", "UBOT") is None
    assert addressed_training_text("see <@UBOT> train spam", "UBOT") is None
    assert addressed_training_text("<@UOTHER> train spam", "UBOT") is None
    assert addressed_training_text("<@UBOT> train spam", None) is None
