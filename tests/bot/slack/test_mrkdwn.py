"""Markdown as Slack mrkdwn: the formatting people expect, nothing that pings or hides a link."""

from __future__ import annotations

from bot.slack.mrkdwn import to_mrkdwn


def test_emphasis_becomes_mrkdwn_emphasis() -> None:
    assert to_mrkdwn("**bold**, __bold__, *it*, _it_, ~~gone~~") == (
        "*bold*, *bold*, _it_, _it_, ~gone~"
    )
    assert to_mrkdwn("**bold with *it* inside**") == "*bold with _it_ inside*"


def test_headings_become_bold_lines() -> None:
    assert to_mrkdwn("# Title\n### Sub **x** ###") == "*Title*\n*Sub x*"


def test_lists_keep_their_nesting() -> None:
    text = "- one\n  - two\n    * three\n1. first\n2. second"
    assert to_mrkdwn(text) == "• one\n    ◦ two\n        ◦ three\n1. first\n2. second"


def test_only_http_links_become_links() -> None:
    assert to_mrkdwn("[docs](https://x.example/a?b=1&c=2)") == (
        "<https://x.example/a?b=1&amp;c=2|docs>"
    )
    assert to_mrkdwn("[run](javascript:alert(1))") == "[run](javascript:alert(1))"
    assert to_mrkdwn("[a|b](http://x.example)") == "<http://x.example|a¦b>"


def test_references_are_escaped_everywhere() -> None:
    shown = to_mrkdwn("<!channel> **<@U1>** `<!here>`\n```\n<!everyone>\n```")
    assert "<!" not in shown and "<@" not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;!everyone&gt;" in shown


def test_code_is_kept_as_written() -> None:
    text = "Use `a **b** _c_` here.\n```python\nx = 2 ** 3  # *not* a list\n- y\n```"
    assert to_mrkdwn(text) == ("Use `a **b** _c_` here.\n```\nx = 2 ** 3  # *not* a list\n- y\n```")


def test_an_unclosed_fence_is_closed() -> None:
    assert to_mrkdwn("```\ncode") == "```\ncode\n```"


def test_tables_and_quotes() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |"
    assert to_mrkdwn(f"Scores:\n{table}\nDone.") == f"Scores:\n```\n{table}\n```\nDone."
    assert to_mrkdwn("> wise words") == "> wise words"
