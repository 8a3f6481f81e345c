"""Model Markdown for Slack's markdown block: references made inert, long text split safely."""

from __future__ import annotations

import re

from bot.slack.markdown import ZERO_WIDTH_SPACE, neutralise, split_markdown

ZW = ZERO_WIDTH_SPACE


def test_every_reference_slack_would_read_is_broken() -> None:
    text = "<!channel> <!here|x> <@U123> <#C9|general> <https://evil.example|docs> <mailto:a@b>"
    shown = neutralise(text)
    assert not re.search(r"<[!@#]|<[a-z]+:", shown)
    assert shown.replace(ZW, "") == text  # reads the same


def test_entity_forms_and_bare_broadcasts_are_broken_too() -> None:
    shown = neutralise("&lt;!everyone&gt; then @channel, @Here and @everyone")
    assert "&lt;!" not in shown
    assert not re.search(r"@(channel|here|everyone)", shown, re.IGNORECASE)
    assert shown.replace(ZW, "") == "&lt;!everyone&gt; then @channel, @Here and @everyone"


def test_ordinary_angle_brackets_and_addresses_are_left_alone() -> None:
    text = "a < b, Vec<String>, <div>, <std::string>, email me@example.com, @channels_list"
    assert neutralise(text) == text


def test_neutralising_twice_changes_nothing_more() -> None:
    once = neutralise("<!here> @here")
    assert neutralise(once) == once


def test_short_text_is_one_piece() -> None:
    assert split_markdown("# Title\n\nBody.") == ["# Title\n\nBody."]
    assert split_markdown("") == [""]


def test_long_prose_is_cut_at_paragraph_breaks_and_joins_back() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 150 for n in range(40))
    pieces = split_markdown(text, 2000)
    assert len(pieces) > 10
    assert "".join(pieces) == text
    assert all(len(piece) <= 2000 for piece in pieces)
    assert all(piece.endswith("\n\n") for piece in pieces[:-1])


def test_a_code_fence_is_never_cut_when_it_fits() -> None:
    code = "```python\n" + "print('x')\n" * 100 + "```\n"
    text = "Intro " * 200 + "\n\n" + code + "\nOutro."
    pieces = split_markdown(text, 2000)
    holding = [piece for piece in pieces if "```python" in piece]
    assert len(holding) == 1 and code in holding[0]
    assert "".join(pieces) == text


def test_a_fence_longer_than_a_piece_is_closed_and_reopened() -> None:
    body = "".join(f"line {n} <tag>\n" for n in range(600))
    text = "Before.\n\n```sql\n" + body + "```\nAfter."
    pieces = split_markdown(text, 2000)
    assert all(len(piece) <= 2000 for piece in pieces)
    fenced = [piece for piece in pieces if "line " in piece]
    assert len(fenced) > 2
    for piece in fenced:
        # Every piece holding code opens and closes its own fence: none renders half as code.
        assert piece.count("```") % 2 == 0
        assert "```sql\n" in piece
    lines = [line for piece in fenced for line in piece.splitlines() if line.startswith("line ")]
    assert lines == body.splitlines()  # every line of code once, in order
    assert pieces[-1].endswith("After.")


def test_an_unclosed_fence_still_splits_into_closed_pieces() -> None:
    text = "~~~\n" + "x = 1\n" * 800
    pieces = split_markdown(text, 1000)
    assert len(pieces) > 3
    assert all(piece.startswith("~~~\n") and piece.rstrip().endswith("~~~") for piece in pieces)
