"""`/align help COMMAND`: one command's usage and what it does, for prompt and labeler commands
alike; a word that is no command gets the whole list with a note."""

from __future__ import annotations

import pytest

from bot.commands.labelers import TRAINING_USAGE
from bot.commands.prompts import USAGE, Help, parse_command
from bot.prompts import views
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.slash_commands import ResponseUrlServer, message_text
from tests.scenarios.labelers.support import command

EVERY_USAGE = {**USAGE, **TRAINING_USAGE}


def test_help_keeps_the_word_asked_about() -> None:
    assert parse_command("help Train") == Help("train")
    assert parse_command("help cancel now") == Help("cancel")
    assert parse_command("help frobnicate") == Help("frobnicate")
    assert parse_command("help") == Help()


@pytest.mark.parametrize("word", sorted(EVERY_USAGE))
def test_every_command_has_a_topic_with_its_usage_and_what_it_does(word: str) -> None:
    lines = views.help_message(word).text.splitlines()
    assert lines[0] == f"Usage: `{EVERY_USAGE[word]}`"
    assert 2 <= len(lines) <= 3 and all(line.strip() for line in lines[1:])


def test_a_word_that_is_no_command_gets_every_command_and_says_so() -> None:
    shown = views.help_message("frobnicate")
    body = "\n".join(block["text"]["text"] for block in shown.blocks)
    assert body.startswith("There is no command `frobnicate`")
    assert "/align run" in body and "/align cancel NAME" in body
    assert "/align help COMMAND" in message_text({"blocks": views.help_message().blocks})


def test_help_train_typed_as_a_slash_command_explains_training(
    bot: InProcessBot, responses: ResponseUrlServer
) -> None:
    command(bot, "help train", f"{responses.url}/help")
    answer = message_text(responses.wait_for_reply(1))
    assert answer.startswith(f"Usage: `{TRAINING_USAGE['train']}`")
    assert "@alignbot train NAME" in answer and "form" in answer
