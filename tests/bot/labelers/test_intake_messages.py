"""What the bot says about an upload it cannot use fits in one Slack message, cut visibly."""

from __future__ import annotations

import pytest

from bot.labelers.intake import IntakeRefusal, choose_columns
from bot.labelers.views import upload_problem
from tests.fakes.slack_limits import assert_message_fits


def test_a_file_with_120_columns_gets_a_reply_that_fits() -> None:
    header = [f"a rather long column name number {index:03d}" for index in range(120)]
    with pytest.raises(IntakeRefusal) as refused:
        choose_columns(header, None, [])
    problem = str(refused.value)
    assert "and 100 more" in problem
    message = upload_problem("hate", "U0PERSON", problem)
    assert_message_fits(message.text, message.blocks)


def test_any_problem_text_is_cut_to_fit_the_section() -> None:
    message = upload_problem("hate", "U0PERSON", "why " * 2000)
    assert_message_fits(message.text, message.blocks)
    assert "…" in message.blocks[0]["text"]["text"]
