"""A gallery of answers as models write them, each checked against the blocks that get posted.

Every answer goes out as Slack ``markdown`` blocks (Slack renders the Markdown), with a mrkdwn
fallback for notifications; each message is checked with the emulator's validator, and nothing in
any of them can ping a channel or a person.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.feedback.actions import answer_menu_block
from bot.prompts import views
from bot.slack.blocks import Message
from bot.slack.markdown import ZERO_WIDTH_SPACE
from tests.fakes.slack_limits import assert_message_fits

HEADINGS = "# Plan\n\n## Step one\n\nCut the **paper**.\n\n### Details\n\nThen _fold_ it."
NESTED_LISTS = "1. Fruit\n   - apples\n     - green\n   - pears\n2. Nuts\n\n- [ ] task\n- [x] done"
TABLE = "| tool | use |\n|------|-----|\n| scissors | cut |\n| tape | stick |"
CODE = "Run this:\n\n```python\nif a < b and c > d:\n    print('**not bold**')\n```\n\nDone."
LINKS = "See [the docs](https://example.com/a?b=1&c=2) or <https://evil.example|click here>."
EMOJI = "Great job :tada: 🎉 — ✅ all good"
PINGS = "Hey <!channel> and <!here>, ask <@U0BOSS> in <#C0SECRET>; cc @everyone &lt;!here&gt;"
LONG_CODE = (
    "Here is the file:\n\n```sql\n"
    + "".join(f"SELECT {n} AS n FROM t WHERE x < {n}; -- row {n}\n" for n in range(600))
    + "```\n\nThat is all."
)

GALLERY = {
    "headings": HEADINGS,
    "nested lists": NESTED_LISTS,
    "table": TABLE,
    "code fence": CODE,
    "links": LINKS,
    "emoji": EMOJI,
    "pings": PINGS,
    "long code fence": LONG_CODE,
}
# What Slack would read as a mention or a link, in a markdown block or in mrkdwn.
_REFERENCE = re.compile(r"<[!@#]|<[a-z]+:|@(channel|here|everyone)\b|&lt;[!@#]")
_PING = re.compile(r"<[!@#]|@(channel|here|everyone)\b|&lt;[!@#]")


def markdown_texts(message: Message) -> list[str]:
    return [block["text"] for block in message.blocks if block["type"] == "markdown"]


def posted(answer: str) -> list[Message]:
    messages = views.answer_messages(answer, candidate=0, candidates=1)
    for message in messages:
        assert_message_fits(message.as_kwargs()["text"], message.blocks)
    return messages


@pytest.mark.parametrize("answer", GALLERY.values(), ids=GALLERY.keys())
def test_every_answer_is_posted_safely_within_limits(answer: str) -> None:
    for message in posted(answer):
        payload: dict[str, Any] = message.as_kwargs()
        fallback = payload["text"]
        assert not _PING.search(fallback)
        # The fallback's only links are the answer's own Markdown links to http(s) URLs.
        for url in re.findall(r"<([^<>|]*)\|", fallback):
            assert url.startswith(("https://", "http://"))
            assert f"]({url.replace('&amp;', '&')})" in answer
        for text in markdown_texts(message):
            assert not _REFERENCE.search(text)


@pytest.mark.parametrize("answer", [HEADINGS, NESTED_LISTS, TABLE, CODE, EMOJI], ids=str.split)
def test_markdown_goes_to_slack_as_written(answer: str) -> None:
    # Slack's markdown block renders headings, lists, tables and fences itself: nothing escaped.
    [message] = posted(answer)
    assert message.blocks == [{"type": "markdown", "text": answer}, answer_menu_block()]


def test_the_fallback_is_mrkdwn_people_can_read() -> None:
    [message] = posted(HEADINGS)
    assert message.as_kwargs()["text"].startswith("*Plan*\n\n*Step one*\n\nCut the *paper*.")
    [message] = posted(CODE)
    assert "```\nif a &lt; b and c &gt; d:\n    print('**not bold**')\n```" in message.text


def test_links_render_only_when_markdown_and_http() -> None:
    [message] = posted(LINKS)
    [text] = markdown_texts(message)
    assert "[the docs](https://example.com/a?b=1&c=2)" in text
    assert f"<{ZERO_WIDTH_SPACE}https://evil.example|click here>" in text
    fallback = message.as_kwargs()["text"]
    assert "<https://example.com/a?b=1&amp;c=2|the docs>" in fallback
    assert f"&lt;{ZERO_WIDTH_SPACE}https://evil.example|click here&gt;" in fallback


def test_pings_read_the_same_but_ping_nobody() -> None:
    [message] = posted(PINGS)
    [text] = markdown_texts(message)
    assert text.replace(ZERO_WIDTH_SPACE, "") == PINGS
    fallback = message.as_kwargs()["text"]
    assert fallback.replace(ZERO_WIDTH_SPACE, "").startswith("Hey &lt;!channel&gt; and")


def test_a_code_fence_longer_than_a_message_is_closed_and_reopened() -> None:
    messages = posted(LONG_CODE)
    assert len(messages) >= 2
    texts = [text for message in messages for text in markdown_texts(message)]
    assert texts[0].startswith("Here is the file:\n\n```sql\n")
    assert texts[-1].endswith("```\n\nThat is all.")
    for text in texts:
        assert text.count("```") % 2 == 0, "a piece left a fence open"
    rows = [line for text in texts for line in text.splitlines() if line.startswith("SELECT")]
    assert (
        len(rows) == 600 and rows[0].startswith("SELECT 0 ") and rows[-1].startswith("SELECT 599 ")
    )
    labels = [message.blocks[0]["elements"][0]["text"] for message in messages]
    assert labels[0].startswith("part 1 of ")
