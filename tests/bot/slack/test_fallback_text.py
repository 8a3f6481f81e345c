"""A message's fallback text is escaped like its blocks: it can neither ping nor link."""

from __future__ import annotations

import pytest

from bot.labelers.views import upload_problem
from bot.slack.blocks import Message, error, escape_fallback


@pytest.mark.parametrize(
    "hostile",
    ["<!channel> ping", "<!here>", "<@U0ADMIN> look", "<https://evil.example|click me>"],
)
def test_hostile_text_in_a_fallback_is_shown_not_acted_on(hostile: str) -> None:
    sent = error(f"The column `{hostile}` is not in the file.").as_kwargs()
    assert "<" not in sent["text"] and ">" not in sent["text"]
    assert hostile.replace("<", "&lt;").replace(">", "&gt;") in sent["text"]


def test_a_csv_header_in_an_upload_problem_reaches_the_fallback_escaped() -> None:
    sent = upload_problem("hate", "U0PERSON", "no column named `<!channel> ping`.").as_kwargs()
    assert "<!channel>" not in sent["text"]


def test_text_already_escaped_by_slack_is_not_escaped_twice() -> None:
    assert escape_fallback("a &lt;b&gt; &amp; c & d") == "a &lt;b&gt; &amp; c &amp; d"
    assert Message(text="fish & chips").as_kwargs()["text"] == "fish &amp; chips"
