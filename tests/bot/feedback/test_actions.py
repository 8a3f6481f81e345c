"""The answer actions: one list behind the message shortcuts, the "Feedback" menu and the
manifest, held to Slack's limits; and the feedback form each kind opens."""

from __future__ import annotations

import pytest

from bot.app import product_manifest
from bot.feedback.actions import (
    ANSWER_ACTIONS,
    MENU_ACTION,
    AnswerAction,
    AnswerActions,
    feedback_actions,
)
from bot.feedback.answer_forms import (
    FORM_BLOCK,
    FORM_TEXT_LIMIT,
    feedback_form_modal,
    text_problem,
)
from bot.feedback.answer_request import AnswerRequest
from bot.feedback.kinds import FEEDBACK_KINDS
from tests.fakes.slack_limits import assert_message_fits, assert_view_fits
from tests.scenarios.feedback.world import message_text


def _nothing(request: AnswerRequest) -> None:
    pass


def _named(name: str) -> AnswerAction:
    return AnswerAction(name, name.capitalize(), "d", _nothing)


EXAMPLE = AnswerAction("example", "Save as example", "Keep this answer as an example", _nothing)


def test_every_feedback_kind_and_save_as_example_is_in_the_menu_and_the_manifest() -> None:
    assert [a.name for a in ANSWER_ACTIONS] == [*FEEDBACK_KINDS.names, "example"]
    menu = ANSWER_ACTIONS.menu_block()
    assert menu["accessory"]["action_id"] == MENU_ACTION
    options = menu["accessory"]["options"]
    assert [(o["text"]["text"], o["value"]) for o in options] == [
        ("Kudos", "kudos"),
        ("Critique", "critique"),
        ("Rewrite", "rewrite"),
        ("Save as example", "example"),
    ]
    assert "Feedback" in menu["text"]["text"]
    assert_message_fits("answer", [menu])
    shortcuts = product_manifest()["features"]["shortcuts"]
    assert shortcuts == ANSWER_ACTIONS.manifest_shortcuts()
    assert [s["callback_id"] for s in shortcuts] == [
        "alignbot_answer_kudos",
        "alignbot_answer_critique",
        "alignbot_answer_rewrite",
        "alignbot_answer_example",
    ]
    assert ANSWER_ACTIONS.labels() == "*Kudos*, *Critique*, *Rewrite* or *Save as example*"


def test_an_added_action_is_one_entry_that_reaches_the_menu_and_the_shortcuts() -> None:
    actions = AnswerActions([*feedback_actions(), EXAMPLE])
    assert actions.by_callback_id("alignbot_answer_example") is EXAMPLE
    assert actions.menu_block()["accessory"]["options"][-1]["value"] == "example"
    assert actions.manifest_shortcuts()[-1] == {
        "name": "Save as example",
        "type": "message",
        "callback_id": "alignbot_answer_example",
        "description": "Keep this answer as an example",
    }
    assert actions.labels().endswith("or *Save as example*")


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([EXAMPLE, EXAMPLE], "listed twice"),
        ([EXAMPLE], "2 to 5 options"),
        ([*feedback_actions(), *(_named(f"more{n}") for n in range(3))], "2 to 5 options"),
        ([EXAMPLE, AnswerAction("long", "x" * 25, "d", _nothing)], "1 to 24 characters"),
        ([EXAMPLE, AnswerAction("long", "Long", "d" * 151, _nothing)], "1 to 150 characters"),
        ([EXAMPLE, AnswerAction("Two words", "Two", "d", _nothing)], "one lower-case word"),
    ],
)
def test_slack_limits_are_checked_when_the_list_is_built(
    entries: list[AnswerAction], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        AnswerActions(entries)


@pytest.mark.parametrize("kind", FEEDBACK_KINDS.names)
def test_each_kind_opens_a_form_in_its_own_words_within_slack_limits(kind: str) -> None:
    spec = FEEDBACK_KINDS.get(kind)
    answer = "1. Cut **paper** <!channel>\n2. Open boxes"
    form = feedback_form_modal(kind, answer, "tok")
    assert_view_fits(form)
    assert form["title"]["text"] == spec.form_title and form["private_metadata"] == "tok"
    (field,) = [b for b in form["blocks"] if b.get("block_id") == FORM_BLOCK]
    assert field["label"]["text"] == spec.form_label
    assert field["element"]["max_length"] == FORM_TEXT_LIMIT
    if spec.form_prefilled:
        assert field["element"]["initial_value"] == answer
    else:
        assert "initial_value" not in field["element"]
        shown = message_text(form)
        assert "Cut *paper*" in shown and "<!channel>" not in shown


def test_an_answer_longer_than_a_field_is_shown_not_prefilled() -> None:
    answer = "word " * 1000
    form = feedback_form_modal("rewrite", answer, "tok")
    assert_view_fits(form)
    (field,) = [b for b in form["blocks"] if b.get("block_id") == FORM_BLOCK]
    assert "initial_value" not in field["element"]
    assert "5,000 characters" in message_text(form)
    exactly = feedback_form_modal("rewrite", "w" * FORM_TEXT_LIMIT, "tok")
    assert_view_fits(exactly)


def _submitted(form: dict[str, object], text: str | None) -> dict[str, object]:
    value = {"type": "plain_text_input", "value": text}
    return {**form, "state": {"values": {FORM_BLOCK: {"text": value}}}}


def test_submitted_text_is_checked_before_the_ack() -> None:
    kudos = feedback_form_modal("kudos", "An answer.", "tok")
    assert text_problem(_submitted(kudos, "Clear and short.")) is None
    assert text_problem(_submitted(kudos, "   ")) == "Write something first."
    assert text_problem(_submitted(kudos, None)) == "Write something first."
    assert "3,001 characters" in str(text_problem(_submitted(kudos, "x" * 3001)))
    rewrite = feedback_form_modal("rewrite", "An answer.", "tok")
    assert "unchanged" in str(text_problem(_submitted(rewrite, " An answer.\n")))
    assert text_problem(_submitted(rewrite, "A better answer.")) is None
