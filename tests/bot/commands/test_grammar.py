"""The `/align` parser, fed text exactly as Slack sends it."""

from __future__ import annotations

import pytest

from bot.commands.prompts import (
    EditPrompt,
    ExportPrompt,
    Help,
    ListPrompts,
    NewPrompt,
    RestorePrompt,
    RunPrompt,
    ShowPrompt,
    addressed_command,
    check_prompt_name,
    parse_command,
)
from bot.commands.text import CommandSyntaxError, SlackRef, resolve_text, tokenize, unescape


def run(text: str) -> RunPrompt:
    command = parse_command(text)
    assert isinstance(command, RunPrompt)
    return command


def test_entities_are_unescaped_once() -> None:
    assert unescape("a &lt;b&gt; &amp; c") == "a <b> & c"
    # Someone who typed "&lt;" literally gets it back, not "<".
    assert unescape("&amp;lt;") == "&lt;"


def test_run_with_key_value_pairs() -> None:
    command = run("run uses item=scissors colour=red")
    assert command == RunPrompt("uses", {"item": "scissors", "colour": "red"}, 1)


def test_quoted_values_keep_spaces_with_straight_and_curly_quotes() -> None:
    command = run('run uses item="pair of scissors" topic=“ice cream” mood=‘a bit sad’')
    assert command.variables == {
        "item": "pair of scissors",
        "topic": "ice cream",
        "mood": "a bit sad",
    }


def test_apostrophes_inside_words_and_single_quoted_values() -> None:
    command = run("run uses note=don't quip='it’s fine'")
    assert command.variables == {"note": "don't", "quip": "it’s fine"}


def test_escaped_characters_arrive_as_typed_in_values() -> None:
    command = run('run uses expr="a &lt; b &amp;&amp; c &gt; d"')
    assert command.variables["expr"] == "a < b && c > d"


def test_channel_and_user_references_become_readable_values() -> None:
    command = run("run uses where=<#C123|general> who=<@U456> other=<#C789>")
    assert command.variables == {"where": "#general", "who": "<@U456>", "other": "<#C789>"}


def test_reference_tokens_keep_their_ids() -> None:
    tokens = tokenize("to=<#C123|general> <@U456|bob> <https://example.com|site>")
    assert tokens[0].refs == (SlackRef("channel", "C123", "general"),)
    assert tokens[1].refs == (SlackRef("user", "U456", "bob"),)
    assert tokens[2].text == "https://example.com"


def test_link_label_with_spaces_stays_one_token() -> None:
    tokens = tokenize("a=<https://example.com/x?y=1&amp;z=2|a page> b")
    assert [t.text for t in tokens] == ["a=https://example.com/x?y=1&z=2", "b"]


def test_candidate_flag_in_both_spellings() -> None:
    assert run("run uses item=x --n 3").candidates == 3
    assert run("run uses --n=2 item=x").candidates == 2
    assert run("run uses item=x").candidates == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("run uses --n", "needs a number"),
        ("run uses --n 0", "from 1 to 8"),
        ("run uses --n 9", "from 1 to 8"),
        ("run uses --n three", "from 1 to 8"),
        ("run uses --fast", "not an option"),
        ("run uses scissors", "not a `key=value` pair"),
        ("run uses item=a item=b", "given twice"),
        ("run uses 2x=a", "not a variable name"),
        ('run uses item="never closed', "never closed"),
        ("run", "needs a prompt name"),
        ("fly away", "not an alignbot command"),
        ("show", "needs a prompt name"),
        ("show a b", "only a prompt name"),
        ("list extra", "nothing after it"),
    ],
)
def test_syntax_errors_say_what_is_wrong_and_show_usage(text: str, fragment: str) -> None:
    with pytest.raises(CommandSyntaxError) as caught:
        parse_command(text)
    assert fragment in str(caught.value)
    assert "Usage: `/align" in caught.value.explain()


def test_prompt_names_are_validated_with_a_suggested_fix() -> None:
    assert check_prompt_name("gift-ideas_2") == "gift-ideas_2"
    with pytest.raises(CommandSyntaxError) as caught:
        parse_command("show Gift Ideas!")
    # "show" takes one word, so the name error comes from the first word alone.
    assert "only a prompt name" in str(caught.value)
    with pytest.raises(CommandSyntaxError) as caught:
        parse_command("new Gift_Ideas! Give {n} ideas")
    assert "lowercase letters" in str(caught.value)
    assert "`gift_ideas`" in str(caught.value)


def test_new_keeps_the_template_as_typed() -> None:
    text = "new uses Give three uses for {item}.\nKeep each under &lt;20 words&gt; &amp; fun."
    assert parse_command(text) == NewPrompt(
        "uses", "Give three uses for {item}.\nKeep each under <20 words> & fun."
    )


def test_new_strips_quotes_wrapping_the_whole_template() -> None:
    assert parse_command("new uses “Say hi to {name}”") == NewPrompt("uses", "Say hi to {name}")
    # Quotes inside the template are part of it.
    assert parse_command('new q Say "hi" to {name}') == NewPrompt("q", 'Say "hi" to {name}')


def test_new_and_edit_without_a_template_ask_for_a_form() -> None:
    assert parse_command("new uses") == NewPrompt("uses", None)
    assert parse_command("edit uses   ") == EditPrompt("uses", None)
    assert parse_command("edit uses Write {x}") == EditPrompt("uses", "Write {x}")


def test_other_commands() -> None:
    assert parse_command("list") == ListPrompts()
    assert parse_command("show uses") == ShowPrompt("uses")
    assert parse_command("export uses") == ExportPrompt("uses")
    assert parse_command("  ") == Help()
    assert parse_command("help run") == Help("run")
    assert parse_command("RUN uses") == RunPrompt("uses")


def test_resolve_text_turns_references_into_text() -> None:
    assert resolve_text("see <#C1|ops> &amp; <!here>") == "see #ops & @here"


def test_messages_addressed_to_the_bot_with_a_command_word() -> None:
    assert addressed_command("<@UBOT> run uses item=x", "UBOT") == "run uses item=x"
    assert addressed_command(" <@UBOT|alignbot>  LIST ", "UBOT") == "LIST"
    assert addressed_command("<@UBOT>", "UBOT") == ""


def test_other_mentions_are_not_commands() -> None:
    # Feedback in a thread and mentions of other people are left to other listeners.
    assert addressed_command("<@UBOT> critique: too long", "UBOT") is None
    assert addressed_command("<@UOTHER> run uses", "UBOT") is None
    assert addressed_command("please <@UBOT> run uses", "UBOT") is None
    assert addressed_command("<@UBOT> run uses", None) is None


def test_restore_takes_an_optional_deletion_id() -> None:
    assert parse_command("restore uses") == RestorePrompt("uses")
    assert parse_command("restore uses 3F2A1C") == RestorePrompt("uses", "3f2a1c")
    assert parse_command("restore uses 3f2a1c9b0d4e") == RestorePrompt("uses", "3f2a1c9b0d4e")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("restore", "needs a prompt name"),
        ("restore uses 3f2", "not a deletion id"),  # too short to name one deletion
        ("restore uses latest", "not a deletion id"),
        ("restore uses 3f2a1c9b0d4e7", "not a deletion id"),  # longer than any id
        ("restore uses 3f2a1c extra", "at most one deletion id"),
        ("restore Uses! 3f2a1c", "not a valid prompt name"),
    ],
)
def test_restore_errors_say_what_to_give(text: str, fragment: str) -> None:
    with pytest.raises(CommandSyntaxError) as caught:
        parse_command(text)
    assert fragment in str(caught.value)
    assert "Usage: `/align restore NAME [DELETION]`" in caught.value.explain()
