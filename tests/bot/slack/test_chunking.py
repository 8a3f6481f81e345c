"""Splitting long answers under Slack's limits without losing or reordering a character."""

from __future__ import annotations

import random

import pytest

from bot.slack.chunking import (
    MAX_BLOCKS_PER_MESSAGE,
    MESSAGE_TEXT_BUDGET,
    SECTION_TEXT_LIMIT,
    escape_mrkdwn,
    escaped_length,
    group_for_messages,
    split_for_sections,
    split_text,
)


def paragraphs(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "<tag>", "R&D", "delta", "épée", "naïve", "🙂"]
    result = []
    for _ in range(count):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) for _ in range(3)]
        result.append("\n".join(lines))
    return "\n\n".join(result)


def test_short_text_is_one_piece() -> None:
    assert split_text("hello there", 100) == ["hello there"]
    assert split_text("", 100) == [""]


def test_pieces_rejoin_exactly_and_fit() -> None:
    text = paragraphs(200)
    pieces = split_for_sections(text)
    assert len(pieces) > 5
    assert "".join(pieces) == text
    assert all(escaped_length(p) <= SECTION_TEXT_LIMIT for p in pieces)


def test_cuts_prefer_paragraph_then_line_then_space() -> None:
    text = "a" * 60 + "\n\n" + "b" * 30 + "\n" + "c" * 30
    assert split_text(text, 100) == ["a" * 60 + "\n\n", "b" * 30 + "\n" + "c" * 30]
    lines = "x" * 60 + "\n" + "y" * 60
    assert split_text(lines, 100) == ["x" * 60 + "\n", "y" * 60]
    words = "word " * 30
    pieces = split_text(words, 52)
    assert all(p.endswith(" ") for p in pieces)
    assert "".join(pieces) == words


def test_text_without_spaces_is_cut_hard_but_kept_whole() -> None:
    text = "z" * 250
    pieces = split_text(text, 100)
    assert [len(p) for p in pieces] == [100, 100, 50]


def test_escaping_counts_toward_the_limit() -> None:
    text = "&" * 1000  # each becomes "&amp;", five characters
    pieces = split_for_sections(text, limit=100)
    assert all(len(escape_mrkdwn(p)) <= 100 for p in pieces)
    assert [len(p) for p in pieces][:2] == [20, 20]
    assert "".join(pieces) == text


def test_limit_too_small_is_refused() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 3)


def test_messages_respect_text_budget_and_block_count() -> None:
    text = paragraphs(2000, seed=3)
    messages = group_for_messages(split_for_sections(text))
    assert len(messages) > 1
    assert "".join("".join(sections) for sections in messages) == text
    for sections in messages:
        assert sum(escaped_length(s) for s in sections) <= MESSAGE_TEXT_BUDGET
        assert len(sections) <= MAX_BLOCKS_PER_MESSAGE - 2
